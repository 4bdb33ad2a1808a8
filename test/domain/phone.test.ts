import { describe, expect, test } from "bun:test";
import { getExampleNumber, getCountries } from "libphonenumber-js/max";
import examples from "libphonenumber-js/mobile/examples";
import { parsePhoneSlow, PhoneNormaliser } from "../../src/domain/phone.ts";

describe("parsePhoneSlow", () => {
  test.each([
    ["+1 (212) 555-0100", "US", "+12125550100"],
    ["212.555.0100", "US", "+12125550100"],
    ["00 44 20 7946 0958", "US", "+442079460958"],
    ["020 7946 0958", "GB", "+442079460958"],
    ["(11) 98765-4321", "BR", "+5511987654321"],
  ])("%s in %s → %s", (raw, country, e164) => {
    expect(parsePhoneSlow(raw, country as never)).toMatchObject({ ok: true, e164 });
  });

  test.each([
    ["1-800-FLOWERS", "letters"],
    ["", "empty"],
    ["1", "too_short"],
    ["+1 000 000 0000", "invalid_number"],
  ])("rejects %p with %s", (raw, reason) => {
    expect(parsePhoneSlow(raw, "US")).toEqual({ ok: false, reason });
  });
});

/** A deterministic pseudo-random sequence (no flaky samples). */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe("the fast path agrees with libphonenumber", () => {
  test("on 60,000 numbers (about 300,000 inputs) across every country, valid and invalid, in many shapes", () => {
    const rand = rng(42);
    const fast = new PhoneNormaliser("US", 5_000);
    const countries = getCountries();
    let checked = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      const country = countries[Math.floor(rand() * countries.length)]!;
      const example = getExampleNumber(country, examples);
      if (!example) continue;
      // Mutate the example's tail so that both valid and invalid numbers appear.
      const digits = example.number.slice(1).split("");
      const flips = Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) digits[digits.length - 1 - Math.floor(rand() * 5)] = String(Math.floor(rand() * 10));
      if (rand() < 0.1) digits.push(String(Math.floor(rand() * 10)));
      const e164 = "+" + digits.join("");
      const shapes = [e164, "00" + e164.slice(1), `+${digits.slice(0, 3).join("")} ${digits.slice(3).join("")}`];
      if (e164.startsWith("+1")) shapes.push(e164.slice(2), e164.slice(1), `(${e164.slice(2, 5)}) ${e164.slice(5, 8)}-${e164.slice(8)}`);
      // What people type around the digits: every separator, white space at either end, a `+` out of place,
      // non-ASCII spaces, and spacing that pushes the text past the fast path's 24 characters.
      const odd = [
        ` \t${e164}\r\n`,
        `${e164.slice(0, 4)}.${e164.slice(4, 7)}-${e164.slice(7)}`,
        `(${e164.slice(0, 3)})${e164.slice(3, 6)}/${e164.slice(6)}`,
        `( ${e164.slice(1, 3)}) ${e164.slice(3)}`,
        `0 0 ${digits.join("")}`,
        `(00) ${digits.join("")}`,
        `00-${digits.join("")}`,
        `+ ${digits.join("")}`,
        `${digits.slice(0, 3).join("")}+${digits.slice(3).join("")}`,
        `++${digits.join("")}`,
        `${e164.slice(0, 4)}\u00a0${e164.slice(4)}`,
        `\u3000${e164}`,
        e164.split("").join(" "),
        `${e164}x`,
      ];
      shapes.push(odd[Math.floor(rand() * odd.length)]!, odd[Math.floor(rand() * odd.length)]!);
      for (const raw of shapes) {
        const a = fast.normalise(raw);
        const b = parsePhoneSlow(raw, "US");
        checked++;
        if (JSON.stringify(a) !== JSON.stringify(b) && disagreements.length < 10) disagreements.push(`${raw}: fast ${JSON.stringify(a)} slow ${JSON.stringify(b)}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(checked).toBeGreaterThan(280_000);
  }, 120_000);
});
