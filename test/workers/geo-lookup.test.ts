import { expect, test } from "bun:test";
import type { GeoNode } from "../../src/domain/geo.ts";
import { GeoLookup } from "../../src/workers/geo-lookup.ts";

/** A small prefix table: NANP area codes with cities, one carrier prefix deeper, and a country-only prefix. */
const TABLE = new Map<string, GeoNode>([
  ["1", [1, "", "", "America/New_York", ""]],
  ["1212", [1, "NY", "New York", "America/New_York", ""]],
  ["1212555", [0, "NY", "New York", "America/New_York", "Acme"]],
  ["1415", [0, "CA", "San Francisco", "America/Los_Angeles", ""]],
  ["44", [1, "", "", "Europe/London", ""]],
  ["447911", [0, "", "", "Europe/London", "Vodafone"]],
  ["49", [0, "", "", "Europe/Berlin", ""]],
]);
// The table as the geo build stores it: every prefix on the way to a stored one exists, marked as having longer ones.
for (const key of [...TABLE.keys()]) for (let n = 1; n < key.length; n++) if (!TABLE.has(key.slice(0, n))) TABLE.set(key.slice(0, n), [1, "", "", "", ""]);

/** The longest stored prefix, found the slow way. */
function truth(phone: string) {
  const digits = phone.slice(1);
  for (let n = Math.min(12, digits.length); n > 0; n--) {
    const node = TABLE.get(digits.slice(0, n));
    if (node) return { region: node[1], city: node[2], timezone: node[3], carrier: node[4] };
  }
  return undefined;
}

const phones = [
  "+12125550100", "+12125559999", "+12129990000", "+14155550100", "+13055550100", "+447911123456", "+447700900123",
  "+4915112345678", "+33612345678", "+5511987654321",
];

test("longest-prefix answers match the table, with a cache far smaller than the numbers' prefixes (generations turn over)", () => {
  let reads = 0;
  const g = new GeoLookup((p) => (reads++, TABLE.get(p)), 8);
  for (let round = 0; round < 50; round++) for (const phone of phones) expect(g.lookup(phone)).toEqual(truth(phone));
  expect(g.reads).toBe(reads);
  // Bounded: far more reads than with room for every prefix (the cache turned over), far fewer than one per step.
  const roomy = new GeoLookup((p) => TABLE.get(p));
  for (let round = 0; round < 50; round++) for (const phone of phones) roomy.lookup(phone);
  expect(roomy.reads).toBeLessThan(40);
  expect(reads).toBeGreaterThan(roomy.reads);
});

test("a prefix turned old is taken from the old generation, not read again", () => {
  const g = new GeoLookup((p) => TABLE.get(p), 16);
  g.lookup("+12125550100"); // 7 prefixes: 1, 12, 121, 1212, 12125, 121255, 1212555
  g.lookup("+447911123456"); // 6 more: 4, 44, 447, 4479, 44791, 447911 → 13 in the young generation
  const before = g.reads;
  g.lookup("+14155550100"); // 3 new (14, 141, 1415): the young one reaches 16/2 … and turns old
  g.lookup("+12125550100"); // all in the old generation: no reads
  expect(g.reads).toBe(before + 3);
});

test("answer() returns one frozen object per prefix node and country", () => {
  const g = new GeoLookup((p) => TABLE.get(p));
  const a = g.answer("+12125550100", "US");
  expect(a).toEqual({ country: "US", region: "NY", city: "New York", timezone: "America/New_York", carrier: "Acme" });
  expect(g.answer("+12125559999", "US")).toBe(a);
  expect(Object.isFrozen(a)).toBe(true);
  expect(g.answer("+33612345678", "FR")).toEqual({ country: "FR", region: "", city: "", timezone: "", carrier: "" });
});
