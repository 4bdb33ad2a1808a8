import type { AuthContext, Deps } from "../deps.ts";
import { DomainError } from "../domain/errors.ts";
import { authenticateSession, authenticateToken } from "../services/auth.ts";

export const SESSION_COOKIE = "pombo_session";

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The Set-Cookie value for a session (HttpOnly, SameSite=Lax, Secure behind https). */
export function sessionCookie(deps: Pick<Deps, "config">, token: string, maxAgeMs: number): string {
  const secure = deps.config.baseUrl.startsWith("https:") ? "; Secure" : "";
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure}`;
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** True when a cookie-authenticated, state-changing request comes from another origin (CSRF). */
function isForeignOrigin(request: Request, baseUrl: string): boolean {
  if (SAFE.has(request.method)) return false;
  const origin = request.headers.get("origin");
  if (!origin || origin === "null") return origin === "null";
  const host = request.headers.get("host");
  const allowed = new Set([new URL(baseUrl).origin]);
  if (host) {
    allowed.add(`http://${host}`);
    allowed.add(`https://${host}`);
  }
  return !allowed.has(origin);
}

/** Callers already resolved by the global guard in app.ts, so routers do not authenticate twice. */
const resolved = new WeakMap<Request, AuthContext>();

/** Paths under /api/v1 that answer without a caller. */
export const isPublicApiPath = (path: string) => path === "/api/v1/auth/login";

/**
 * The global guard (app.ts `onRequest`): every /api/v1 request but login must carry a valid session or token,
 * checked before routing and body validation, so an anonymous caller learns nothing but 401.
 * @throws DomainError unauthorized / forbidden.
 */
export function guardApiRequest(deps: Deps, request: Request, path: string): void {
  if (!path.startsWith("/api/v1/") || isPublicApiPath(path)) return;
  resolved.set(request, authenticate(deps)({ request }).auth);
}

/**
 * The auth guard: use as `.resolve(authenticate(deps))` on every /api/v1 router.
 * A bearer token or the session cookie identifies the caller; otherwise 401.
 * @throws DomainError unauthorized / forbidden (foreign Origin on a cookie session).
 */
export function authenticate(deps: Deps) {
  return ({ request }: { request: Request }): { auth: AuthContext } => {
    const known = resolved.get(request);
    if (known) return { auth: known };
    const header = request.headers.get("authorization");
    if (header?.startsWith("Bearer ")) {
      const auth = authenticateToken(deps, header.slice(7).trim());
      if (auth) return { auth };
      throw new DomainError("unauthorized", "invalid_token", "the API token is unknown or revoked");
    }
    const cookie = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
    const auth = cookie ? authenticateSession(deps, cookie) : undefined;
    if (!auth) throw new DomainError("unauthorized", "unauthenticated", "log in or send an API token");
    if (isForeignOrigin(request, deps.config.baseUrl)) throw new DomainError("forbidden", "foreign_origin", "cross-site request refused");
    return { auth };
  };
}
