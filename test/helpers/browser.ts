/**
 * Browser tests: Debian's chromium driven by playwright-core, against a real Pombo (createSystem, real
 * clock, real queue/runner/drivers/worker pool) listening on 127.0.0.1 with a fresh data dir.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "bun:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { systemClock } from "../../src/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { createSystem, type System } from "../../src/system.ts";
import { buildWeb } from "../../scripts/build-web.ts";
import { geoDataDir } from "./imports.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = resolve(import.meta.dir, "../../test-artifacts");

/**
 * Launches headless chromium with a fresh profile (a new user-data-dir, given the way playwright requires:
 * as a persistent context) and returns that context.
 * @throws Error naming the fix when chromium is not installed (the UI tests must fail, not skip).
 */
export async function launchBrowser(opts: { baseURL: string; viewport: { width: number; height: number } }): Promise<{ context: BrowserContext; profile: string; close(): Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium not found at ${CHROMIUM}: the UI tests need it. Install it with \`apt-get install -y chromium\` (or ./install.sh --browser).`);
  }
  const profile = mkdtempSync(join(tmpdir(), "pombo-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    baseURL: opts.baseURL,
    viewport: opts.viewport,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  return {
    context, profile,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface RunningPombo {
  sys: System;
  url: string;
  dir: string;
  logs: string[];
  stop(): Promise<void>;
}

/** Builds the UI bundle, then starts a whole Pombo on 127.0.0.1:0 with the geo table and background work running. */
export async function startPombo(): Promise<RunningPombo> {
  await buildWeb();
  const dir = geoDataDir();
  // The tests tick when they mean to (withTicks): the minute cron (here once a year) must not dispatch between
  // two steps, e.g. complete a campaign between Resume and Cancel when a minute turns (seen under a loaded suite).
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "warn", BASE_URL: "http://127.0.0.1", WORKER_THREADS: "1", POMBO_SECRET_KEY: "", TICK_CRON: "0 0 0 1 1 *" }, join(dir, ".env"));
  const logs: string[] = [];
  const sys = createSystem(config, systemClock, createLogger("warn", (l) => void logs.push(l)));
  const server = sys.app.listen({ port: 0, hostname: "127.0.0.1" });
  sys.startBackground({ spreadMs: 0 });
  const url = `http://127.0.0.1:${server.server!.port}`;
  return {
    sys, url, dir, logs,
    stop: async () => {
      await server.stop();
      await sys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A page that fails the test on any uncaught script error (collected, checked by the caller). */
export function watchErrors(context: BrowserContext, page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  void context;
  return errors;
}

/**
 * `test` for browser steps: a step that fails saves a `<prefix><n>` screenshot of the page first (n counts the
 * steps of the file). `page` is read when the step fails, so it may be assigned in `beforeAll`.
 */
export function screenshotOnFailure(page: () => Page, prefix: string) {
  let step = 0;
  return (name: string, fn: () => Promise<void>, timeout = 30_000) => {
    const n = ++step;
    test(name, async () => {
      try {
        await fn();
      } catch (e) {
        await shot(page(), `${prefix}${String(n).padStart(2, "0")}`).catch(() => undefined);
        throw e;
      }
    }, timeout);
  };
}
