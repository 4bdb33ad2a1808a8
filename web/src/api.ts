/** The UI's only way to the server: the public API, with its `{error:{code,message}}` shape turned into ApiError. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Called when any request answers 401 (the session ended): the app shows the login screen. */
let onUnauthorized: (() => void) | undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/** Turns a non-2xx response into an ApiError, reading the error shape when there is one. */
export async function toError(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `request failed (${res.status})`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body?.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    }
  } catch {
    // not JSON (a proxy's error page): keep the status text
  }
  return new ApiError(res.status, code, message);
}

/** Calls the API; JSON in, JSON out. @throws ApiError on any non-2xx answer or a network failure. */
export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network_error", "cannot reach the Pombo server; check that it is running");
  }
  if (!res.ok) {
    const err = await toError(res);
    if (res.status === 401 && !path.startsWith("/api/v1/auth/") && path !== "/api/v1/me") onUnauthorized?.();
    throw err;
  }
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T = any>(path: string) => api<T>("GET", path);
export const post = <T = any>(path: string, body: unknown = {}) => api<T>("POST", path, body);
export const put = <T = any>(path: string, body: unknown) => api<T>("PUT", path, body);
export const patch = <T = any>(path: string, body: unknown) => api<T>("PATCH", path, body);
export const del = <T = any>(path: string) => api<T>("DELETE", path);

/** A list answer as an array, whether the route returns `[...]` or `{items:[...]}`. */
export function itemsOf<T>(x: unknown): T[] {
  if (Array.isArray(x)) return x as T[];
  const items = (x as { items?: unknown })?.items;
  return Array.isArray(items) ? (items as T[]) : [];
}

/** Builds a query string from defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** True when the error means "this server has no such route yet" (older server / feature not built). */
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && e.code === "route_not_found";
}

/** A user-facing sentence for an error. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
