/**
 * Plivo's V3 webhook signature (https://www.plivo.com/docs/messaging/concepts/signature-validation), built the
 * way plivo-node's `validateV3Signature` builds it, for a POST:
 *   base   = scheme://host[:port]/path            (as received: no re-encoding, no user-info, no fragment)
 *   query  = the URL's query params, sorted by key then value, as `k=v` joined by `&` (decoded)
 *   string = base + ("?" + query when there is a query or form params) + ("." when both)
 *            + Σ sorted(key + value) over the form params
 *   X-Plivo-Signature-V3 = base64(HMAC-SHA256(authToken, string + "." + X-Plivo-Signature-V3-Nonce))
 * The header may hold several comma-separated signatures (one per auth token of the account); any may match.
 * For a GET the form params join the query instead.
 */
import { createHmac } from "node:crypto";
import type { VerifyResult, WebhookRequest } from "./driver.ts";
import { parseForm } from "./fields.ts";
import { safeEqual } from "./safe-equal.ts";

type Params = Map<string, string[]>;

/** The string Plivo signs (before `.nonce`) for a request to `url` carrying `params`. */
export function plivoSignedString(method: string, url: string, params: Params): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#]*@)?([^/?#]*)([^?#]*)(?:\?([^#]*))?/i.exec(url);
  const base = m ? `${m[1]}://${m[2]}${m[3]}` : url;
  const query = parseForm(m?.[4] ?? "");
  if (method.toUpperCase() === "GET") {
    for (const [k, vs] of params) query.set(k, [...(query.get(k) ?? []), ...vs]);
    const qs = sortedPairs(query, "=").join("&");
    return qs ? `${base}?${qs}` : base;
  }
  const qs = sortedPairs(query, "=").join("&");
  const hasParams = params.size > 0;
  let out = base;
  if (qs || hasParams) out += "?" + qs;
  if (qs && hasParams) out += ".";
  return out + sortedPairs(params, "").join("");
}

/** base64 HMAC-SHA256 of the signed string and nonce (exported so the fake provider signs the same way). */
export function computePlivoSignatureV3(authToken: string, method: string, url: string, params: Params, nonce: string): string {
  return createHmac("sha256", authToken).update(`${plivoSignedString(method, url, params)}.${nonce}`, "utf8").digest("base64");
}

/** Checks `X-Plivo-Signature-V3` (+ nonce) on a form-encoded webhook, constant-time. */
export function verifyPlivoSignatureV3(authToken: string, req: WebhookRequest): VerifyResult {
  const header = req.headers["x-plivo-signature-v3"];
  const nonce = req.headers["x-plivo-signature-v3-nonce"];
  if (!header || !nonce) return { ok: false, reason: "missing X-Plivo-Signature-V3 or its nonce" };
  const params = req.method.toUpperCase() === "GET" ? new Map() : parseForm(req.body);
  const expected = computePlivoSignatureV3(authToken, req.method, req.url, params, nonce);
  const match = header.split(",").some((sig) => safeEqual(sig.trim(), expected));
  return match ? { ok: true } : { ok: false, reason: "X-Plivo-Signature-V3 does not match" };
}

function sortedPairs(params: Params, sep: string): string[] {
  const out: string[] = [];
  for (const key of [...params.keys()].sort()) for (const v of [...(params.get(key) ?? [])].sort()) out.push(key + sep + v);
  return out;
}
