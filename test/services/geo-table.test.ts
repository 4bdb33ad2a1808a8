import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "bson";
import { buildGeoTable, geoResourcesDir, mergeGeoSources } from "../../src/services/geo-table.ts";
import { openStorage, type Storage } from "../../src/storage/db.ts";
import { getGeoNode } from "../../src/storage/geo.ts";
import { GeoLookup } from "../../src/workers/geo-lookup.ts";
import { geoDataDir } from "../helpers/imports.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let storage: Storage;
let geo: GeoLookup;
beforeAll(() => {
  storage = openStorage(geoDataDir());
  geo = new GeoLookup((p) => getGeoNode(storage, p));
}, 60_000);
afterAll(async () => await storage.close());

const { dir } = geoResourcesDir();
const bson = (path: string) => deserialize(readFileSync(join(dir, path))) as Record<string, string>;

/** Longest-prefix answer straight from libphonenumber's files: the ground truth. */
function truth(file: Record<string, string>, digits: string): string | undefined {
  for (let i = digits.length; i > 0; i--) if (file[digits.slice(0, i)] !== undefined) return file[digits.slice(0, i)];
  return undefined;
}

describe("answers match libphonenumber's own data", () => {
  const zones = bson("timezones.bson");
  test.each([
    ["US", "+12125550100", { city: "New York", region: "NY", timezone: "America/New_York" }],
    ["US", "+14155550101", { city: "San Francisco", region: "CA", timezone: "America/Los_Angeles" }],
    ["CA", "+14165550100", { region: "Ontario", timezone: "America/Toronto" }],
    ["CA", "+16045550100", { region: "British Columbia", timezone: "America/Vancouver" }],
    ["UK", "+442079460958", { city: "London", timezone: "Europe/London" }],
    ["BR", "+551133334444", { city: "São Paulo", timezone: "America/Sao_Paulo" }],
    ["IN", "+911123456789", { city: "New Delhi", timezone: "Asia/Calcutta" }],
    ["DE", "+493012345678", { city: "Berlin", timezone: "Europe/Berlin" }],
  ])("%s %s", (_c, phone, want) => {
    expect(geo.lookup(phone)).toMatchObject(want);
  });

  test.each(["1", "44", "55", "91", "49"])("every geocoding prefix of +%s resolves like the source files (city, region, timezone, carrier)", (cc) => {
    const withCc = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [cc + k, v]));
    const raw = bson(`geocodes/en/${cc}.bson`);
    const places = withCc(raw);
    const carriers = (() => { try { return withCc(bson(`carrier/en/${cc}.bson`)); } catch { return {}; } })();
    const keys = Object.keys(raw);
    for (let i = 0; i < keys.length; i += Math.max(1, Math.floor(keys.length / 3000))) {
      const phone = cc + keys[i]! + "0000000".slice(0, Math.max(0, 12 - cc.length - keys[i]!.length));
      const got = geo.lookup(phone)!;
      const desc = truth(places, phone)!;
      expect([got.city, got.region].filter(Boolean).join(desc.includes(" - ") ? " - " : ", ")).toBe(desc);
      expect(got.timezone).toBe((truth(zones, phone) ?? "").split("&")[0]!);
      expect(got.carrier).toBe(truth(carriers, phone) ?? "");
    }
  }, 60_000);
});

test("the cache reads each prefix once", () => {
  const g = new GeoLookup((p) => getGeoNode(storage, p));
  for (let i = 0; i < 1000; i++) g.lookup(`+1212555${String(i).padStart(4, "0")}`);
  const reads = g.reads;
  for (let i = 0; i < 1000; i++) g.lookup(`+1212555${String(i).padStart(4, "0")}`);
  expect(g.reads).toBe(reads);
  expect(reads).toBeLessThan(20);
});

test("a second build is skipped by its version stamp", () => {
  const started = performance.now();
  expect(buildGeoTable(storage).skipped).toBe(true);
  expect(performance.now() - started).toBeLessThan(500);
});

test("merging keeps the longest prefix of each source", () => {
  const nodes = mergeGeoSources(new Map([["1212", "New York, NY"]]), new Map([["12125", "Acme"]]), new Map([["1", "America/New_York&America/Chicago"]]));
  expect(nodes.get("12125")).toEqual([0, "NY", "New York", "America/New_York", "Acme"]);
  expect(nodes.get("121")).toEqual([1, "", "", "America/New_York", ""]);
});
