/**
 * Twilio's webhook signature (https://www.twilio.com/docs/usage/security#validating-requests):
 * `X-Twilio-Signature` = base64(HMAC-SHA1(authToken, fullUrl + Σ sorted(key + value))) over the POSTed form
 * fields. Mirrors twilio-node's `validateRequest`: keys sorted case-sensitively, a repeated key contributes its
 * distinct values sorted; the URL is tried as received, without its port and with the scheme's default port
 * (Twilio signs whatever URL it was configured with, and proxies add or drop `:443`). A JSON webhook carries
 * `bodySHA256` in its query string instead: then no form fields are signed and the body hash is checked too.
 */
import { createHash } from "node:crypto";
import type { VerifyResult, WebhookRequest } from "./driver.ts";
import { parseForm } from "./fields.ts";
import { safeEqual } from "./safe-equal.ts";

/** The expected signature for `url` and form `params` (exported so the tests can cross-check twilio-node). */
export function computeTwilioSignature(authToken: string, url: string, params: Map<string, string[]>): string {
  return hmacSha1Base64(authToken, url + signedFields(params));
}

/** Σ sorted(key + value) over the form fields: the part of the signed string after the URL. */
function signedFields(params: Map<string, string[]>): string {
  let data = "";
  for (const key of [...params.keys()].sort()) {
    const values = params.get(key)!;
    for (const value of values.length === 1 ? values : [...new Set(values)].sort()) data += key + value;
  }
  return data;
}

function hmacSha1Base64(key: string, data: string): string {
  const h = new Bun.CryptoHasher("sha1", key);
  h.update(data, "utf8");
  return h.digest("base64");
}

/** Checks `X-Twilio-Signature` on a webhook; constant-time comparison on every candidate URL. */
export function verifyTwilioSignature(authToken: string, req: WebhookRequest): VerifyResult {
  const header = req.headers["x-twilio-signature"];
  if (!header) return { ok: false, reason: "missing X-Twilio-Signature" };
  const bodyHash = bodySha256Param(req.url);
  const params = bodyHash === undefined ? parseForm(req.body) : new Map<string, string[]>();
  const fields = signedFields(params);
  // The URL as received almost always matches; the port variants are tried only when it does not.
  const matches = (url: string) => safeEqual(hmacSha1Base64(authToken, url + fields), header);
  const match = matches(req.url) || urlCandidates(req.url).some((url) => url !== req.url && matches(url));
  if (!match) return { ok: false, reason: "X-Twilio-Signature does not match" };
  if (bodyHash !== undefined) {
    if (!safeEqual(createHash("sha256").update(req.body, "utf8").digest("hex"), bodyHash)) return { ok: false, reason: "bodySHA256 does not match" };
  }
  return { ok: true };
}

function bodySha256Param(url: string): string | undefined {
  const q = url.indexOf("?");
  if (q === -1 || !url.includes("bodySHA256", q)) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get("bodySHA256") ?? undefined;
}

/** The URL as received, without its port, and with the scheme's default port — never re-encoded. */
function urlCandidates(url: string): string[] {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf("@");
  const userInfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  const colon = hostPort.indexOf(":", hostPort.lastIndexOf("]") + 1);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const withoutPort = scheme + userInfo + host + rest;
  const defaultPort = scheme.toLowerCase() === "https://" ? ":443" : ":80";
  const withPort = colon === -1 ? scheme + userInfo + host + defaultPort + rest : url;
  return [...new Set([url, withoutPort, withPort])];
}
