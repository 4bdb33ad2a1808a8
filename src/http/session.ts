import { Elysia, t } from "elysia";
import type { Deps } from "../deps.ts";
import { DomainError } from "../domain/errors.ts";
import { login, logout } from "../services/auth.ts";
import { authenticate, readCookie, SESSION_COOKIE, sessionCookie } from "./auth.ts";
import { FailureLimiter } from "./rate-limit.ts";

const Login = t.Object({ email: t.String({ maxLength: 320 }), password: t.String({ maxLength: 1024 }) });

/** Login, logout and `GET /api/v1/me`. Login is rate limited per e-mail and per client address. */
export function sessionRoutes(deps: Deps) {
  const limiter = new FailureLimiter(deps.clock, 10, 15 * 60_000);
  return new Elysia({ prefix: "/api/v1" })
    .post(
      "/auth/login",
      async ({ body, request, server, set }) => {
        const ip = server?.requestIP(request)?.address ?? "local";
        const keys = [`e:${body.email.toLowerCase()}`, `i:${ip}`];
        const blocked = keys.find((k) => limiter.isBlocked(k));
        if (blocked) {
          set.headers["retry-after"] = String(Math.ceil(limiter.retryAfterMs(blocked) / 1000));
          throw new DomainError("rate_limited", "too_many_attempts", "too many failed logins; try again later");
        }
        try {
          const { token, auth } = await login(deps, body.email, body.password);
          keys.forEach((k) => limiter.reset(k));
          set.headers["set-cookie"] = sessionCookie(deps, token, deps.config.sessionTtlMs);
          return { user: auth.user, company: auth.company };
        } catch (e) {
          keys.forEach((k) => limiter.fail(k));
          throw e;
        }
      },
      { body: Login, detail: { summary: "Log in; sets an HttpOnly session cookie", tags: ["auth"] } },
    )
    .guard({}, (app) =>
      app.resolve(authenticate(deps))
        .post("/auth/logout", async ({ request, set }) => {
          const token = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
          if (token) await logout(deps, token);
          set.headers["set-cookie"] = sessionCookie(deps, "", 0);
          return { ok: true };
        }, { detail: { tags: ["auth"] } })
        .get("/me", ({ auth }) => ({ user: auth.user, company: auth.company }), {
        detail: { summary: "The caller and its company", tags: ["auth"] },
      }),
    );
}
