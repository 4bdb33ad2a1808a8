import { systemClock } from "../clock.ts";
import type { Config } from "../config.ts";
import { createUser } from "../services/auth.ts";
import { openStorage } from "../storage/db.ts";
import { parseArgs, requireFlag } from "./args.ts";

/** `pombo user add --email E --password P --company NAME [--role member]`: safe while the server runs (LMDB is multi-process). */
export async function runUserCommand(config: Config, argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(argv);
  if (positional[0] !== "add") throw new Error("usage: pombo user add --email E --password P --company NAME [--role owner|member]");
  const role = flags.role === "member" ? "member" : "owner";
  const storage = openStorage(config.dataDir);
  try {
    const { user, company } = await createUser(
      { storage, clock: systemClock, config },
      { email: requireFlag(flags, "email"), password: requireFlag(flags, "password"), company: requireFlag(flags, "company"), role },
    );
    console.log(`created ${user.role} ${user.email} in company "${company.name}" (${company.id})`);
  } finally {
    await storage.close();
  }
}
