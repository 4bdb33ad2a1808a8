import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { embeddedDir, IS_BINARY } from "../embedded.ts";
import { errorResponse } from "./errors.ts";

/** web/dist on disk from source (built on demand); the copy embedded by scripts/build.ts in the binary. */
const DIST = IS_BINARY ? embeddedDir("webDist") : resolve(import.meta.dir, "../../web/dist");
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$/;
/** Paths that belong to the API or the providers: never answered with the UI's index.html. */
const NOT_UI = /^\/(api|webhooks)(\/|$)|^\/(healthz|metrics)$/;

const HTML_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  // Inline style attributes are used for progress widths; scripts only from our own origin.
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

let building: Promise<void> | undefined;

/** Makes sure web/dist exists, building it once (a dev checkout where install.sh has not run yet). */
function ensureBuilt(deps: Deps): Promise<void> {
  if (IS_BINARY || existsSync(join(DIST, "index.html"))) return Promise.resolve();
  building ??= import("../../scripts/build-web.ts")
    .then(({ buildWeb }) => buildWeb())
    .then((r) => deps.log.info("web UI built on demand", { ms: r.ms }))
    .finally(() => (building = undefined));
  return building;
}

/**
 * The built-in web UI: `/assets/*` (content-hashed, cached for a year) and index.html for every other GET
 * that is not an API, webhook or operations path (History-API routing in the browser). Mount it last.
 */
export function uiRoutes(deps: Deps) {
  return new Elysia({ name: "ui" })
    .get("/assets/:file", async ({ params }) => {
      if (!ASSET_NAME.test(params.file)) return new Response("not found", { status: 404 });
      await ensureBuilt(deps);
      const file = Bun.file(join(DIST, "assets", params.file));
      if (!(await file.exists())) return new Response("not found", { status: 404 });
      return new Response(file, { headers: { "cache-control": "public, max-age=31536000, immutable", "x-content-type-options": "nosniff" } });
    }, { detail: { hide: true } })
    .get("/*", async ({ request }) => {
      const path = new URL(request.url).pathname;
      if (NOT_UI.test(path)) return errorResponse(404, "route_not_found", `no route for ${path}`);
      if (/\.[A-Za-z0-9]+$/.test(path.split("/").pop() ?? "")) return new Response("not found", { status: 404 });
      try {
        await ensureBuilt(deps);
      } catch (e) {
        deps.log.error("web UI build failed", { error: String(e) });
        return new Response("The web UI could not be built; run `bun scripts/build-web.ts` to see why.", { status: 503 });
      }
      return new Response(Bun.file(join(DIST, "index.html")), { headers: HTML_HEADERS });
    }, { detail: { hide: true } });
}
