/**
 * Vonage (Nexmo) SMS API webhook signatures: the `sig` parameter.
 * Docs: https://developer.vonage.com/en/getting-started/concepts/signing-messages
 *
 * The signed string is every parameter except `sig`, sorted by name, each as `&name=value` with `&` and
 * `=` in the value replaced by `_`. "MD5 hash" appends the signature secret and takes the MD5 (hex);
 * the HMAC variants (MD5, SHA-1, SHA-256, SHA-512) key the HMAC with the secret. Hex case is not
 * significant (Vonage's own `verifySignature` compares upper-cased). The `timestamp` parameter (Unix
 * seconds) is signed too, which is what makes the replay check below meaningful.
 *
 * The account config carries only the secret, not the algorithm chosen in the dashboard, so the algorithm
 * is taken from the signature's length: 128 hex → SHA-512, 64 → SHA-256, 40 → SHA-1, 32 → MD5 hash or
 * MD5 HMAC (both are tried). An attacker still needs the secret for any of them.
 */
import { createHash, createHmac } from "node:crypto";
import type { VerifyResult } from "./driver.ts";
import { safeEqual } from "./safe-equal.ts";

/** How far a webhook's `timestamp` may be from our clock before we call it a replay (5 minutes). */
export const VONAGE_TOLERANCE_MS = 5 * 60_000;

export type VonageAlgorithm = "md5hash" | "md5" | "sha1" | "sha256" | "sha512";

/** The string Vonage signs for `params` (`sig` excluded). */
export function vonageSignedString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== "sig")
    .sort()
    .map((k) => `&${k}=${params[k]!.replace(/[&=]/g, "_")}`)
    .join("");
}

/** Computes the upper-case hex signature of `params` with `algorithm`. */
export function signVonageParams(params: Record<string, string>, secret: string, algorithm: VonageAlgorithm): string {
  const signed = vonageSignedString(params);
  const hex =
    algorithm === "md5hash"
      ? createHash("md5").update(signed + secret).digest("hex")
      : createHmac(algorithm, secret).update(signed).digest("hex");
  return hex.toUpperCase();
}

const BY_LENGTH: Record<number, VonageAlgorithm[]> = { 32: ["md5hash", "md5"], 40: ["sha1"], 64: ["sha256"], 128: ["sha512"] };

/**
 * Checks `sig` and the freshness of `timestamp` on a Vonage webhook's parameters.
 * Every comparison uses `timingSafeEqual` (via `safeEqual`).
 */
export function verifyVonageParams(params: Record<string, string>, secret: string, now: number): VerifyResult {
  if (!secret) return { ok: false, reason: "no signature secret configured" };
  const sig = params.sig;
  if (!sig) return { ok: false, reason: "missing sig parameter" };
  const ts = params.timestamp;
  if (!ts || !/^\d+$/.test(ts)) return { ok: false, reason: "missing or malformed timestamp" };
  if (Math.abs(now - Number(ts) * 1000) > VONAGE_TOLERANCE_MS) return { ok: false, reason: "stale timestamp (possible replay)" };
  const candidates = BY_LENGTH[sig.length] ?? [];
  let ok = false;
  for (const algorithm of candidates) ok = safeEqual(signVonageParams(params, secret, algorithm), sig.toUpperCase()) || ok;
  return ok ? { ok: true } : { ok: false, reason: "signature mismatch" };
}
