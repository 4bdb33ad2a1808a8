import type { Storage } from "./db.ts";
import { rebuildImportTotalsSync } from "./imports.ts";
import { META } from "./keys.ts";
import { rekeyRecipientsSync } from "./recipients.ts";
import { rebuildUserSessionsSync } from "./sessions.ts";

/** One step of the schema: `up` runs once, inside one transaction with the version bump. */
export interface Migration {
  version: number;
  description: string;
  up(s: Storage): void;
}

/**
 * Ordered migrations. Version 1 is the layout in keys.ts as first released; a change to a record's
 * encoding adds a migration here (and bumps the record's `v`).
 */
export const MIGRATIONS: Migration[] = [
  { version: 1, description: "initial layout (storage/keys.ts)", up: () => {} },
  { version: 2, description: "importTotals counted from the existing imports (for /metrics)", up: rebuildImportTotalsSync },
  { version: 3, description: "userSessions indexed from the existing sessions (a user's sessions end together)", up: rebuildUserSessionsSync },
  { version: 4, description: "recipient records keyed [companyId, slot, phone] (dispatch order)", up: rekeyRecipientsSync },
];

/** The version the code expects. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the data up to SCHEMA_VERSION at start-up, one migration per transaction (safe to re-run:
 * a migration commits together with its version number).
 * @throws Error when the data is newer than this code (a downgrade), naming both versions.
 */
export function migrate(s: Storage, migrations: Migration[] = MIGRATIONS): { from: number; to: number } {
  const meta = s.db("meta");
  const from = (meta.get(META.schemaVersion) as number | undefined) ?? 0;
  const target = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  if (from > target) {
    throw new Error(`the data in this DATA_DIR is at schema version ${from}, newer than this Pombo (${target}): upgrade Pombo instead of downgrading`);
  }
  for (const m of migrations) {
    if (m.version <= from) continue;
    s.env.transactionSync(() => {
      m.up(s);
      meta.putSync(META.schemaVersion, m.version);
    });
  }
  return { from, to: Math.max(from, target) };
}
