import { systemClock } from "../clock.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../log.ts";
import { createUser } from "../services/auth.ts";
import { resetPassword } from "../services/team.ts";
import { openStorage } from "../storage/db.ts";
import { parseArgs, requireFlag } from "./args.ts";

const USAGE = "usage: pombo user add --email E --password P --company NAME [--role owner|member]\n       pombo user password --email E --password P";

/**
 * `pombo user add …` creates a user (and the company when new); `pombo user password …` sets a user's password,
 * the way back in for an owner who forgot theirs. Safe while the server runs (LMDB is multi-process).
 */
export async function runUserCommand(config: Config, argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(argv);
  if (positional[0] !== "add" && positional[0] !== "password") throw new Error(USAGE);
  const storage = openStorage(config.dataDir);
  try {
    if (positional[0] === "password") {
      // Logs go to stderr: stdout carries the one-line result, as for `add`.
      const log = createLogger("warn", (l) => process.stderr.write(l));
      const user = await resetPassword({ storage, clock: systemClock, log }, requireFlag(flags, "email"), requireFlag(flags, "password"));
      console.log(`password set for ${user.role} ${user.email}; their sessions were ended`);
      return;
    }
    const role = flags.role === "member" ? "member" : "owner";
    const { user, company } = await createUser(
      { storage, clock: systemClock, config },
      { email: requireFlag(flags, "email"), password: requireFlag(flags, "password"), company: requireFlag(flags, "company"), role },
    );
    console.log(`created ${user.role} ${user.email} in company "${company.name}" (${company.id})`);
  } finally {
    await storage.close();
  }
}
