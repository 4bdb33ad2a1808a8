import { systemClock } from "./clock.ts";
import { loadConfig, type Config } from "./config.ts";
import { createLogger } from "./log.ts";
import { createSystem } from "./system.ts";

/**
 * Starts the one process: config → storage → queue, drivers, pool → HTTP → runner → provider links (SMPP binds) → cron.
 * SIGTERM/SIGINT: stop taking requests, let running jobs finish (or return them to the queue), unbind SMPP sessions,
 * close LMDB, exit 0.
 */
export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const sys = createSystem(config, systemClock, log);
  const server = sys.app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: config.maxUploadBytes });
  sys.startBackground();
  log.info("pombo started", { port: server.server?.port, dataDir: config.dataDir, baseUrl: config.baseUrl });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    await server.stop();
    await sys.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

if (import.meta.main) {
  try {
    await serve(loadConfig());
  } catch (e) {
    console.error(`pombo: cannot start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
