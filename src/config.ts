import { existsSync, readFileSync } from "node:fs";
import type { LogLevel } from "./log.ts";
import { DEFAULT_JOURNAL_SYNC_MS } from "./storage/journal.ts";

/** Everything Pombo reads from its environment, typed and frozen; passed in, never imported globally. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly baseUrl: string;
  readonly logLevel: LogLevel;
  /** Largest CSV upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** Largest JSON body accepted by API routes, in bytes. */
  readonly maxJsonBytes: number;
  /** Parse threads of the CPU pool (it has one more: the writer, started at the first import). */
  readonly workerThreads: number;
  /** Contacts an import sorts in memory per run before writing it to disk (default 250,000; see services/import-runs.ts). */
  readonly importRunRows?: number;
  /** Budget for LMDB file pages kept mapped in the process, in bytes (0: unbounded); see storage/map-trimmer.ts. */
  readonly mappedMemoryBytes: number;
  /**
   * Accepted provider webhooks are written to the journal before the 200 (safe against kill -9) and on disk
   * within this many ms; 0: on disk before the 200 (safe against power loss too, fewer webhooks a second).
   */
  readonly journalSyncMs: number;
  /** Session lifetime in milliseconds. */
  readonly sessionTtlMs: number;
  /** How long a message whose send outcome is unknown waits before the provider's lookup settles it (default 60 s). */
  readonly reconcileDelayMs: number;
  /**
   * How long a provider's message records may lag behind its sends, for every driver (unset: each driver's own,
   * e.g. 15 minutes for Vonage, 5 for the others). A message not found is re-sent only after this long.
   */
  readonly lookupLagMs?: number;
  /** When the minute tick runs (croner pattern, default `0 * * * * *`). Each tick hands out a full minute's quota: change it only for drills and tests. */
  readonly tickCron: string;
  /** Sends of one tick are spread over this many ms (default 60,000: even pacing across the minute). */
  readonly tickSpreadMs: number;
  /** How long a drained campaign waits for late delivery reports before it is completed (default 15 min). */
  readonly completionWaitMs: number;
}

/** Parses KEY=VALUE lines of a .env file; comments and blank lines are ignored, quotes stripped. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).replace(/^export\s+/, "").trim();
    out[key] = line.slice(eq + 1).trim().replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}

function int(env: Record<string, string | undefined>, key: string, fallback: number): number {
  const v = env[key];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${key} must be a non-negative number, got "${v}"`);
  return n;
}

/**
 * Builds the config from the process environment, with `.env` in the working directory filling gaps.
 * @throws Error with an actionable message when a value is malformed.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, dotEnvPath = ".env"): Config {
  const file = existsSync(dotEnvPath) ? parseDotEnv(readFileSync(dotEnvPath, "utf8")) : {};
  const e = { ...file, ...env };
  const port = int(e, "PORT", 3000);
  const level = (e.LOG_LEVEL ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error", "silent"].includes(level)) throw new Error(`LOG_LEVEL must be debug|info|warn|error|silent, got "${level}"`);
  return Object.freeze({
    port,
    host: e.HOST ?? "0.0.0.0",
    dataDir: e.DATA_DIR ?? "./data",
    baseUrl: (e.BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ""),
    logLevel: level,
    maxUploadBytes: int(e, "MAX_UPLOAD_BYTES", 5 * 1024 ** 3),
    maxJsonBytes: int(e, "MAX_JSON_BYTES", 1024 * 1024),
    workerThreads: int(e, "WORKER_THREADS", 2),
    importRunRows: Math.max(1, int(e, "IMPORT_RUN_ROWS", 250_000)),
    mappedMemoryBytes: int(e, "MAPPED_MEMORY_MB", 256) * 1024 ** 2,
    journalSyncMs: int(e, "JOURNAL_SYNC_MS", DEFAULT_JOURNAL_SYNC_MS),
    sessionTtlMs: int(e, "SESSION_TTL_HOURS", 24 * 14) * 3600_000,
    reconcileDelayMs: int(e, "RECONCILE_DELAY_MS", 60_000),
    lookupLagMs: e.LOOKUP_LAG_MS === undefined || e.LOOKUP_LAG_MS === "" ? undefined : int(e, "LOOKUP_LAG_MS", 0),
    tickCron: e.TICK_CRON?.trim() || "0 * * * * *",
    tickSpreadMs: int(e, "TICK_SPREAD_MS", 60_000),
    completionWaitMs: int(e, "COMPLETION_WAIT_MS", 15 * 60_000),
  });
}
