import { loadConfig } from "../config.ts";
import { runBackupCommand } from "./backup.ts";
import { ensureGeoTable, runGeoCommand } from "./geo.ts";
import { runImportCommand } from "./import.ts";
import { runUserCommand } from "./user.ts";

const USAGE = `usage: pombo <command>
  serve                                            start the server (same as bun run start); builds the
                                                   geo-prefix table first when it is missing or outdated
  user add --email E --password P --company NAME   create a company (if new) and an owner
  user password --email E --password P             set a user's password (ends their sessions)
  backup --to DIR                                  hot, consistent copy of the data
  import FILE --list ID [--phone-column C] [--country US]   import a CSV with a progress bar (--resume IMPORT_ID)
  geo rebuild                                      reload the geo-prefix table`;

/**
 * The admin CLI: one sub-command per file, each taking the config and its own arguments. It is also the entry
 * point of the compiled binary (`dist/pombo serve`, …); with no command it prints this usage (exit 0), so a
 * mistyped service definition fails visibly instead of starting a server on defaults.
 */
async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const config = loadConfig();
  switch (cmd) {
    case "serve":
      await ensureGeoTable(config);
      return (await import("../main.ts")).serve(config);
    case "user":
      return runUserCommand(config, rest);
    case "backup":
      return runBackupCommand(config, rest);
    case "import":
      return runImportCommand(config, rest);
    case "geo":
      return runGeoCommand(config, rest);
    default:
      console.log(USAGE);
      if (cmd && cmd !== "help" && cmd !== "--help") process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`pombo: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
