/**
 * The web UI in a real browser (Debian's chromium via playwright-core) against a real Pombo on loopback:
 * login, CSV upload with progress, sandbox account with numbers, a campaign from template to completion,
 * a STOP reply seen in the inbox and the suppression list, a failed job retried from the queue screen, and an
 * SMPP account's link badge (refused password → down, fixed → bound).
 * Screenshots of every screen go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { PermanentJobError } from "../../src/queue/types.ts";
import { createUser } from "../../src/services/auth.ts";
import { ARTIFACTS, launchBrowser, screenshotOnFailure, shot, startPombo, watchErrors, type RunningPombo } from "../helpers/browser.ts";
import { startFakeSmsc } from "../helpers/fake-smsc.ts";

const EMAIL = "owner@acme.test";
const PASSWORD = "correct horse battery";
const SENDER = "+12025550100";
const PHONES = Array.from({ length: 20 }, (_, i) => `+1202${String(2000100 + i)}`);
const STOPPER = PHONES[0]!;
const SUPPRESSED = PHONES[1]!;
/** 20 valid rows, 2 duplicates, 2 invalid → imported 20, duplicates 2, invalid 2. */
const CSV = ["phone,first_name,city",
  ...PHONES.map((p, i) => `${p},Name${i},Springfield`),
  `${PHONES[3]},Dup,Elsewhere`, `${PHONES[4]},Dup,Elsewhere`,
  "12,Bad,Nowhere", "not a phone,Bad,Nowhere"].join("\n") + "\n";

let pombo: RunningPombo;
let closeBrowser: () => Promise<void>;
let context: BrowserContext;
let page: Page;
let errors: string[];
let flakyRuns = 0;
const state: { listId?: string; accountId?: string; campaignId?: string } = {};

beforeAll(async () => {
  pombo = await startPombo();
  const b = await launchBrowser({ baseURL: pombo.url, viewport: { width: 1280, height: 860 } }); // throws with the fix when chromium is missing
  closeBrowser = b.close;
  context = b.context;
  pombo.sys.runner.register("ui.flaky", async () => {
    flakyRuns++;
    if (flakyRuns === 1) throw new PermanentJobError("the provider rejected the request (test failure)");
  }, { queue: "default" });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  errors = watchErrors(context, page);
}, 60_000);

afterAll(async () => {
  if (pombo) await Bun.write(`${ARTIFACTS}/pombo-log.jsonl`, pombo.logs.join(""));
  await closeBrowser?.();
  await pombo?.stop();
});

/** Runs `fn` while the minute tick runs every 300 ms instead of once a minute. */
async function withTicks<T>(fn: () => Promise<T>): Promise<T> {
  const ticker = setInterval(() => void pombo.sys.tick({ spreadMs: 0, completionWaitMs: 0 }).catch(() => undefined), 300);
  try {
    return await fn();
  } finally {
    clearInterval(ticker);
  }
}

/** A test step that saves a FAIL-<n> screenshot of the page when it fails. */
const uiTest = screenshotOnFailure(() => page, "FAIL-");

/** Fails on any uncaught script error in the page so far. */
const noPageErrors = () => expect(errors).toEqual([]);

describe("web UI", () => {
  uiTest("first run shows the CLI hint; login leads to the dashboard", async () => {
    await page.goto("/");
    await page.waitForURL(/\/login/);
    await expect(page.locator(".notice").textContent()).resolves.toContain("bun run pombo user add");
    await shot(page, "01-login-first-run");
    await createUser(pombo.sys.deps, { email: EMAIL, password: PASSWORD, company: "Acme" });
    await page.fill("input[name=email]", EMAIL);
    await page.fill("input[name=password]", "wrong password");
    await page.click("button[type=submit]");
    await page.locator(".login-card .error").waitFor();
    expect(await page.locator(".login-card .error").textContent()).toContain("(");
    await page.fill("input[name=password]", PASSWORD);
    await page.click("button[type=submit]");
    await page.locator("h1", { hasText: "Dashboard" }).waitFor();
    await page.locator(".queues, .cards .stat").first().waitFor();
    await shot(page, "02-dashboard-empty");
    noPageErrors();
  }, 30_000);

  uiTest("uploads a CSV with byte progress, then the import reaches done with the right counts", async () => {
    await page.click("nav >> text=Lists");
    await page.locator(".empty", { hasText: "No list yet" }).waitFor();
    await page.fill("input[name=name]", "Spring customers");
    await page.click("button:has-text('Create list')");
    await page.waitForURL(/\/lists\/[^/]+$/);
    state.listId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    // Record every progress bar the page shows, so the (fast, loopback) upload phase is seen too.
    await page.evaluate(() => {
      const seen: Array<{ label: string; now: number; max: number }> = ((window as any).__bars = []);
      new MutationObserver(() => document.querySelectorAll(".progress").forEach((b) =>
        seen.push({ label: b.getAttribute("aria-label") ?? "", now: Number(b.getAttribute("aria-valuenow")), max: Number(b.getAttribute("aria-valuemax")) })))
        .observe(document.body, { subtree: true, childList: true });
    });
    await page.setInputFiles("input[type=file]", { name: "spring.csv", mimeType: "text/csv", buffer: Buffer.from(CSV) });
    await page.click("button:has-text('Upload and import')");
    const done = page.locator("#import-status [data-status=done]");
    await done.waitFor();
    const count = async (key: string) => (await page.locator(`#import-status [data-key=${key}] dd`).textContent())?.trim();
    expect(await count("imported")).toBe("20");
    expect(await count("duplicates")).toBe("2");
    expect(await count("invalid")).toBe("2");
    expect(await count("suppressed")).toBe("0");
    const bars = (await page.evaluate(() => (window as any).__bars)) as Array<{ label: string; now: number; max: number }>;
    const upload = bars.filter((b) => b.label === "Upload progress");
    expect(upload.length).toBeGreaterThan(0);
    expect(upload.at(-1)).toEqual({ label: "Upload progress", now: CSV.length, max: CSV.length });
    const bar = page.locator("#import-status .progress");
    expect(await bar.getAttribute("aria-valuenow")).toBe(await bar.getAttribute("aria-valuemax"));
    expect(await page.locator("a:has-text('errors.csv')").getAttribute("href")).toMatch(/\/api\/v1\/imports\/.+\/errors\.csv$/);
    await page.locator("table.contacts tbody tr").nth(19).waitFor();
    await shot(page, "03-list-import-done");
    // The import id lives in the URL and localStorage: a reload shows the same results.
    await page.reload();
    await page.locator("#import-status [data-status=done]").waitFor();
    expect(await count("imported")).toBe("20");
    noPageErrors();
  }, 30_000);

  uiTest("compliance: opens the sending window all day and suppresses a number by hand", async () => {
    await page.click("nav >> text=Compliance");
    await page.locator("input[name=quietStart]").waitFor();
    await page.fill("input[name=quietStart]", "00:00");
    await page.fill("input[name=quietEnd]", "00:00");
    await page.click("button:has-text('Save rules')");
    await page.locator(".toast", { hasText: "Rules saved" }).waitFor();
    await page.fill("input[name=keyword]", "PRICES");
    await page.fill("textarea[name=reply]", "Our prices: acme.test/prices");
    await page.click("button:has-text('Add keyword')");
    await page.getByRole("cell", { name: "PRICES", exact: true }).waitFor();
    await page.fill("input[name=addPhone]", SUPPRESSED);
    await page.click("form[aria-label='Suppress a number'] button[type=submit]");
    await page.locator("#suppressions td", { hasText: SUPPRESSED }).waitFor();
    await shot(page, "04-compliance");
    noPageErrors();
  }, 30_000);

  uiTest("creates a sandbox account with numbers and shows the computed quota and webhook URL", async () => {
    await page.click("nav >> text=Accounts");
    await page.locator("select[name=driver]").waitFor();
    expect(await page.locator("select[name=driver]").inputValue()).toBe("sandbox");
    await page.fill("form input[name=name]", "Sandbox US");
    await page.fill("input[name='cfg-deliveryDelayMs']", "0");
    await shot(page, "05-accounts-new");
    await page.click("button:has-text('Connect account')");
    await page.waitForURL(/\/accounts\/[^/]+$/);
    state.accountId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    expect(await page.locator("#webhook-url").textContent()).toContain(`/webhooks/sandbox/${state.accountId}`);
    await page.fill("input[name=number]", SENDER);
    await page.selectOption("select[name=type]", "short_code");
    await page.click("button:has-text('Add number')");
    await page.locator("#numbers td", { hasText: SENDER }).waitFor();
    await page.fill("input[name=number]", "+12025550101");
    await page.selectOption("select[name=type]", "long_code");
    await page.click("button:has-text('Add number')");
    await page.locator("#numbers td", { hasText: "+12025550101" }).waitFor();
    // 100 + 1 msg/s × 60 × 0.9
    await page.waitForFunction(() => document.getElementById("quota")?.textContent === (5454).toLocaleString());
    await shot(page, "06-account-detail");
    noPageErrors();
  }, 30_000);

  uiTest("creates a campaign: the segment counter switches to UCS-2 on an emoji; it runs to completion", async () => {
    await page.click("nav >> text=Campaigns");
    await page.locator(".empty", { hasText: "No campaign yet" }).waitFor();
    await shot(page, "07-campaigns-empty");
    await page.click("a:has-text('New campaign')");
    await page.locator("textarea[name=body]").waitFor();
    await page.fill("input[name=name]", "Spring sale");
    const body = page.locator("textarea[name=body]");
    await body.fill("Hi {{first_name}}, our spring sale starts today at the {{city}} store. Reply STOP to opt out");
    const counter = page.locator("#segment-counter");
    await page.waitForFunction(() => document.getElementById("preview")?.textContent?.includes("Springfield"));
    expect(await counter.textContent()).toMatch(/^GSM-7 · .* 1 segment /);
    expect(await page.locator("#ucs2-warning").isHidden()).toBe(true);
    await body.press("End");
    await body.pressSequentially(" 🎉");
    await page.waitForFunction(() => document.getElementById("segment-counter")?.dataset.encoding === "UCS-2");
    expect(await counter.textContent()).toMatch(/^UCS-2 · .* 2 segments /);
    expect(await page.locator("#ucs2-warning").textContent()).toContain("🎉");
    await shot(page, "08-campaign-editor-ucs2");
    await page.selectOption("select[name=when]", "now");
    await page.click("button:has-text('Create campaign')");
    await page.waitForURL(/\/campaigns\/(?!new)[^/]+$/);
    state.campaignId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    await withTicks(() => page.locator("h1 .badge-completed").waitFor({ timeout: 30_000 }));
    await page.locator("#messages tbody tr").nth(19).waitFor();
    const n = async (key: string) => (await page.locator(`.counts [data-key=${key}] dd`).textContent())?.trim();
    expect(await n("total")).toBe("20");
    expect(await n("delivered")).toBe("19");
    expect(await n("skipped")).toBe("1");
    expect(await page.locator("#skipped").textContent()).toContain("suppressed");
    await shot(page, "09-campaign-completed");
    noPageErrors();
  }, 45_000);

  uiTest("start, pause, resume and cancel each ask for confirmation", async () => {
    await page.click("nav >> text=Campaigns");
    await page.click("a:has-text('New campaign')");
    await page.fill("input[name=name]", "Manual control");
    await page.fill("textarea[name=body]", "Hello {{first_name}}");
    await page.click("button:has-text('Create campaign')");
    await page.waitForURL(/\/campaigns\/(?!new)[^/]+$/);
    await withTicks(() => page.locator("h1 .badge-paused").waitFor());
    const confirmStep = async (button: string, answer: "Cancel" | "ok", badge: string) => {
      await page.click(`.actions button:has-text('${button}')`);
      const dialog = page.locator("dialog.confirm[open]");
      await dialog.waitFor();
      if (answer === "Cancel") await dialog.locator("button[value=cancel]").click();
      else await dialog.locator("button[value=ok]").click();
      await page.locator(`h1 .badge-${badge}`).waitFor();
    };
    await confirmStep("Start sending", "Cancel", "paused"); // declining changes nothing
    await confirmStep("Start sending", "ok", "running");
    await confirmStep("Pause", "ok", "paused");
    await page.locator(".actions button:has-text('Resume')").waitFor();
    await shot(page, "10a-campaign-paused");
    await confirmStep("Resume", "ok", "running");
    await confirmStep("Cancel campaign", "ok", "canceled");
    expect(await page.locator(".actions button").count()).toBe(0);
    noPageErrors();
  });

  uiTest("a sandbox STOP reply suppresses the number and shows in the inbox, tied to the campaign message", async () => {
    const res = await page.request.post("/api/v1/sandbox/inbound", { data: { accountId: state.accountId, from: STOPPER, to: SENDER, body: "STOP" } });
    expect(res.status()).toBe(202);
    await page.click("nav >> text=Inbox");
    const conv = page.locator(".conv", { hasText: STOPPER });
    await conv.locator(".badge-opted_out").waitFor();
    await conv.click();
    await page.locator(".opt-state[data-state=opted-out]").waitFor();
    const reply = page.locator(".bubble.in", { hasText: "STOP" });
    expect(await reply.locator(".reply-to").textContent()).toContain("spring sale");
    await page.locator(".bubble.out", { hasText: "unsubscribed" }).or(page.locator(".bubble.out").nth(1)).first().waitFor();
    await shot(page, "10-inbox-stop");
    await page.click("nav >> text=Compliance");
    await page.locator("#suppressions td", { hasText: STOPPER }).waitFor();
    noPageErrors();
  }, 30_000);

  uiTest("a failed job is listed with its error and retried from the queue screen", async () => {
    const me = await (await page.request.get("/api/v1/me")).json();
    await pombo.sys.deps.queue.enqueue({ name: "ui.flaky", data: { companyId: me.company.id, note: "ui test" }, queue: "default", maxAttempts: 1 });
    await page.click("nav >> text=Queues");
    const row = page.locator("#dead-jobs tr", { hasText: "ui.flaky" });
    await row.waitFor();
    expect(await row.textContent()).toContain("the provider rejected the request");
    await shot(page, "11-queues-failed");
    await row.locator("button:has-text('Retry')").click();
    await page.locator(".toast", { hasText: "is back in default" }).waitFor();
    await row.waitFor({ state: "detached" });
    await page.waitForFunction(() => !document.querySelector("#queue-stats [data-failed]"));
    expect(flakyRuns).toBe(2);
    noPageErrors();
  }, 30_000);

  uiTest("webhooks, settings and phone-width screens render", async () => {
    await page.click("nav >> text=Webhooks");
    await page.fill("input[name=url]", "https://hooks.acme.test/pombo");
    await page.click("button:has-text('Add endpoint')");
    await page.locator("td", { hasText: "https://hooks.acme.test/pombo" }).waitFor();
    await shot(page, "12-webhooks");
    await page.click("nav >> text=Settings");
    await page.fill("input[name=tokenName]", "CRM sync");
    await page.click("button:has-text('Create token')");
    await page.locator("#new-token").waitFor();
    expect((await page.locator("#new-token").textContent())!.length).toBeGreaterThan(20);
    await page.locator("#tokens td", { hasText: "CRM sync" }).waitFor();
    await shot(page, "13-settings");
    await page.click("nav >> text=Dashboard");
    await page.locator(".campaign-summary", { hasText: "Spring sale" }).waitFor();
    await page.locator("figure.chart:not([hidden])").waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll(".stat")].some((el) => el.textContent === "1Opt-outs today"));
    await shot(page, "14-dashboard");
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`/campaigns/${state.campaignId}`);
    await page.locator("h1 .badge-completed").waitFor();
    await page.locator("figure.chart:not([hidden])").waitFor(); // its per-minute series, read back after the fact
    await shot(page, "15-phone-campaign");
    await page.goto(`/inbox/${encodeURIComponent(STOPPER)}`);
    await page.locator(".opt-state").waitFor();
    await shot(page, "16-phone-inbox");
    noPageErrors();
  }, 30_000);

  uiTest("shows each SMPP account's link as a badge that follows it without a reload", async () => {
    const smsc = await startFakeSmsc({ systemId: "pombo", password: "right-pw" });
    try {
      await page.setViewportSize({ width: 1280, height: 860 });
      const res = await page.request.post("/api/v1/accounts", { data: { name: "SMSC", driver: "smpp", config: { host: "127.0.0.1", port: smsc.port, systemId: "pombo", password: "wrong-pw" } } });
      const id = ((await res.json()) as { id: string }).id;
      await page.goto("/accounts");
      const down = page.locator(".badge-link-down");
      await down.waitFor();
      expect(await down.getAttribute("title")).toContain("bind refused: invalid password");
      expect(await page.locator("tr", { hasText: "Sandbox US" }).locator("[class*=badge-link]").count()).toBe(0);
      await shot(page, "17-accounts-link-down");
      await page.request.patch(`/api/v1/accounts/${id}`, { data: { config: { password: "right-pw" } } });
      await page.locator(".badge-link-bound").waitFor({ timeout: 15_000 }); // the list refreshes every 5 s
      noPageErrors();
    } finally {
      await smsc.close();
    }
  }, 30_000);
});
