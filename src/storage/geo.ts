import type { GeoNode } from "../domain/geo.ts";
import type { Storage } from "./db.ts";

/** Key of the build stamp in the `geo` database (digits-only keys are prefixes). */
export const GEO_VERSION_KEY = "version";

/** The resolved node for a digit prefix, or undefined when no data starts with these digits. */
export function getGeoNode(s: Pick<Storage, "db">, prefix: string): GeoNode | undefined {
  return s.db("geo").get(prefix);
}

/** The stamp of the table currently loaded (source package version + table format), if any. */
export function getGeoVersion(s: Pick<Storage, "db">): string | undefined {
  return s.db("geo").get(GEO_VERSION_KEY);
}

/**
 * Replaces the whole table with `nodes` and stamps it, in one transaction: readers see the old
 * table or the new one, never a mix. Safe to re-run.
 */
export function replaceGeoTable(s: Storage, nodes: Iterable<[string, GeoNode]>, version: string): number {
  const db = s.db("geo");
  let n = 0;
  s.env.transactionSync(() => {
    db.clearSync();
    for (const [prefix, node] of nodes) {
      db.putSync(prefix, node);
      n++;
    }
    db.putSync(GEO_VERSION_KEY, version);
  });
  return n;
}
