import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { parseForm } from "../../src/drivers/fields.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

/** What the standard parser gives, in parseForm's shape. */
function reference(body: string): Array<[string, string[]]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(body)) out.set(k, [...(out.get(k) ?? []), v]);
  return [...out];
}

/** A deterministic generator (xorshift) so a failure names its seed. */
function rng(seed: number) {
  let x = seed || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}

describe("parseForm", () => {
  test("decodes like URLSearchParams on typical provider bodies", () => {
    const bodies = [
      "MessageSid=SM1&MessageStatus=delivered&To=%2B15551234567&From=%2B15557654321",
      "Body=Hello+world%21+%F0%9F%98%80&NumMedia=0",
      "a=1&a=2&b=&c&=x&&",
      "",
      "Body=50%25+off&x=%zz&y=%E0%A4&z=100%",
      "k%3Dey=va%26lue&plus=%2B+",
    ];
    for (const b of bodies) expect([...parseForm(b)]).toEqual(reference(b));
  });

  test("agrees with URLSearchParams on 20,000 random bodies", () => {
    const alphabet = ["a", "b", "=", "&", "+", "%", "%2", "%2B", "%41", "%E2%82%AC", "%C3", "%ZZ", " ", "é", "😀", "1", "Z"];
    const next = rng(7);
    for (let i = 0; i < 20_000; i++) {
      let body = "";
      const len = Math.floor(next() * 24);
      for (let j = 0; j < len; j++) body += alphabet[Math.floor(next() * alphabet.length)];
      expect([...parseForm(body)], body).toEqual(reference(body));
    }
  });
});
