/**
 * Team management in a real browser (Debian's chromium via playwright-core) against a real Pombo on loopback:
 * an owner adds a member and sees them listed, changes their role and back; the member sees the team read-only
 * and changes their own password, after which the old one no longer logs in. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import type { BrowserContext, Page } from "playwright-core";
import { createUser } from "../../src/services/auth.ts";
import { ARTIFACTS, launchBrowser, screenshotOnFailure, shot, startPombo, watchErrors, type RunningPombo } from "../helpers/browser.ts";

const OWNER = { email: "owner@team.test", password: "owner's long password" };
const MEMBER = { email: "member@team.test", password: "member's first password", next: "member's second password" };

let pombo: RunningPombo;
let closeBrowser: () => Promise<void>;
let context: BrowserContext;
let page: Page;
let errors: string[];

beforeAll(async () => {
  pombo = await startPombo();
  await createUser(pombo.sys.deps, { ...OWNER, company: "Team Co" });
  const b = await launchBrowser({ baseURL: pombo.url, viewport: { width: 1280, height: 860 } }); // throws with the fix when chromium is missing
  closeBrowser = b.close;
  context = b.context;
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  errors = watchErrors(context, page);
}, 60_000);

afterAll(async () => {
  if (pombo) await Bun.write(`${ARTIFACTS}/pombo-team-log.jsonl`, pombo.logs.join(""));
  await closeBrowser?.();
  await pombo?.stop();
});

/** A test step that saves a FAIL-team-<n> screenshot of the page when it fails. */
const uiTest = screenshotOnFailure(() => page, "FAIL-team-");

const noPageErrors = () => expect(errors).toEqual([]);

async function logIn(email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await page.click("button[type=submit]");
}

describe("team management UI", () => {
  uiTest("an owner adds a member and sees them listed, then changes their role and back", async () => {
    await logIn(OWNER.email, OWNER.password);
    await page.locator("h1", { hasText: "Dashboard" }).waitFor();
    await page.click("nav >> text=Team");
    await page.locator("#team td", { hasText: "(you)" }).waitFor();
    await page.fill("input[name=newEmail]", MEMBER.email);
    await page.fill("input[name=newPassword]", MEMBER.password);
    await page.selectOption("select[name=newRole]", "member");
    await page.click("button:has-text('Add user')");
    await page.locator(".toast", { hasText: `${MEMBER.email} added as member` }).waitFor();
    const row = page.locator("#team tbody tr", { hasText: MEMBER.email });
    await row.waitFor();
    expect(await row.locator("select[name=role]").inputValue()).toBe("member");
    expect(await row.textContent()).toContain("never");
    expect(await page.locator("#team tbody tr").count()).toBe(2);
    await shot(page, "team-01-member-added");
    await row.locator("select[name=role]").selectOption("owner");
    await page.locator(".toast", { hasText: `${MEMBER.email} is now an owner` }).waitFor();
    await row.locator("select[name=role]").selectOption("member");
    await page.locator(".toast", { hasText: `${MEMBER.email} is now a member` }).waitFor();
    // The last owner cannot step down: the API's 409 is shown and the picker goes back.
    const mine = page.locator("#team tbody tr", { hasText: "(you)" }).locator("select[name=role]");
    await mine.selectOption("member");
    await page.locator(".toast-error", { hasText: "last_owner" }).waitFor();
    expect(await mine.inputValue()).toBe("owner");
    noPageErrors();
  });

  uiTest("the member sees the team read-only and changes their own password", async () => {
    await page.click("button:has-text('Log out')");
    await page.waitForURL(/\/login/);
    await logIn(MEMBER.email, MEMBER.password);
    await page.locator("h1", { hasText: "Dashboard" }).waitFor();
    await page.click("nav >> text=Team");
    await page.locator("#team td", { hasText: OWNER.email }).waitFor();
    expect(await page.locator("#team select, #team button, form[aria-label='Add a user']").count()).toBe(0);
    expect(await page.locator("main").textContent()).toContain("Only owners can add, change or remove users.");
    await shot(page, "team-02-member-read-only");
    await page.click("nav >> text=Settings");
    await page.fill("input[name=currentPassword]", MEMBER.password);
    await page.fill("input[name=newPassword]", MEMBER.next);
    await page.fill("input[name=newPasswordAgain]", MEMBER.next);
    await page.click("button:has-text('Change password')");
    await page.locator(".toast", { hasText: "Password changed" }).waitFor();
    await shot(page, "team-03-password-changed");
    await page.click("button:has-text('Log out')");
    await page.waitForURL(/\/login/);
    await logIn(MEMBER.email, MEMBER.password);
    await page.locator(".login-card .error").waitFor();
    await page.fill("input[name=password]", MEMBER.next);
    await page.click("button[type=submit]");
    await page.locator("h1", { hasText: "Dashboard" }).waitFor();
    noPageErrors();
  });
});
