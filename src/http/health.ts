import { Elysia } from "elysia";
import type { Deps } from "../deps.ts";
import { hasAnyUser } from "../storage/users.ts";

/** `GET /healthz` (no auth) and `GET /api/v1/setup` (no auth: tells the UI whether a first user exists). */
export function healthRoutes(deps: Deps) {
  return new Elysia()
    .get("/healthz", () => ({ ok: true }), { detail: { tags: ["operations"] } })
    .get("/api/setup", () => ({ hasUsers: hasAnyUser(deps.storage) }), { detail: { tags: ["operations"] } });
}
