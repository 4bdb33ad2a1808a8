/** How the process serves the web UI: index.html for app routes, hashed assets cached for a year, never HTML for API paths. */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { buildWeb } from "../../scripts/build-web.ts";
import { makeTestApp, type TestApp } from "../helpers/app.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let t: TestApp;
let built: { js: string; css: string };
const get = (path: string) => t.app.handle(new Request(`http://pombo.test${path}`));

beforeAll(async () => {
  built = await buildWeb();
  t = makeTestApp();
});
afterAll(() => t.close());

test.each(["/", "/login", "/campaigns/abc", "/lists/x?import=1", "/inbox/%2B15551234567"])("serves index.html for the app route %s", async (path) => {
  const res = await get(path);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(res.headers.get("cache-control")).toBe("no-cache");
  expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  const html = await res.text();
  expect(html).toContain(`/assets/${built.js}`);
  expect(html).toContain(`/assets/${built.css}`);
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from a CDN
});

test("serves hashed assets with a year of immutable caching", async () => {
  for (const name of [built.js, built.css]) {
    const res = await get(`/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  }
  expect((await get(`/assets/${built.css}`)).headers.get("content-type")).toContain("text/css");
});

test("the bundle carries uPlot and the server's segment rules, and loads nothing from elsewhere", async () => {
  const js = await (await get(`/assets/${built.js}`)).text();
  expect(js).toContain("uplot");
  expect(js).toContain("ΦΓΛΩΠΨΣΘΞ"); // the GSM-7 basic set from src/domain/segments.ts
  expect(js).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
});

test.each(["/api/v1/nope", "/api/nope", "/webhooks/twilio/x", "/metrics"])("never answers %s with the UI", async (path) => {
  const res = await get(path);
  expect(res.headers.get("content-type") ?? "").not.toContain("text/html");
});

test("unknown asset names and paths with a file extension are 404", async () => {
  expect((await get("/assets/nope-123.js")).status).toBe(404);
  expect((await get("/assets/..%2Fpackage.json")).status).toBe(404);
  expect((await get("/favicon.ico")).status).toBe(404);
});
