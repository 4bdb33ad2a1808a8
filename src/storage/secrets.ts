/**
 * Encryption at rest for credentials (provider secrets, outgoing-webhook secrets): AES-256-GCM with a key kept
 * outside the LMDB files, so a copied database (or backup) alone does not reveal them.
 *
 * The key comes from `POMBO_SECRET_KEY` (base64 of 32 bytes) or else from `DATA_DIR/secret.key`, created with
 * mode 0600 on first use. Back that file up separately from the data: without it stored secrets cannot be read.
 * A ciphertext is bound to its place (`aad`, e.g. "account:<id>:authToken"), so it cannot be copied onto another
 * record. Nothing here logs; callers must never log plaintexts either.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Prefix of every stored ciphertext: version 1 = AES-256-GCM, 12-byte IV, 16-byte tag. */
const PREFIX = "enc1:";

export interface SecretBox {
  /** Encrypts `plaintext`, bound to `aad`; returns `enc1:<base64 iv|tag|ciphertext>`. */
  seal(plaintext: string, aad: string): string;
  /** Decrypts what `seal` produced with the same `aad`. @throws Error when the key or aad is wrong or data was altered. */
  open(sealed: string, aad: string): string;
}

/**
 * Reads (or creates) the key and returns a box using it.
 * @throws Error with an actionable message when POMBO_SECRET_KEY or the key file is not 32 bytes of base64.
 */
export function openSecretBox(dataDir: string, env: Record<string, string | undefined> = process.env): SecretBox {
  const key = loadKey(dataDir, env);
  return {
    seal(plaintext, aad) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const c = createCipheriv("aes-256-gcm", key, iv).setAAD(utf8(aad));
      const body = concat(c.update(utf8(plaintext)), c.final());
      return PREFIX + Buffer.from(concat(iv, c.getAuthTag(), body)).toString("base64");
    },
    open(sealed, aad) {
      if (!sealed.startsWith(PREFIX)) throw new Error("not a sealed secret");
      const raw = new Uint8Array(Buffer.from(sealed.slice(PREFIX.length), "base64"));
      const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12)).setAAD(utf8(aad));
      d.setAuthTag(raw.subarray(12, 28));
      return new TextDecoder().decode(concat(d.update(raw.subarray(28)), d.final()));
    },
  };
}

const boxes = new Map<string, SecretBox>();

/** The process's box for `dataDir`, opened once (the key is read from disk or env on first use only). */
export function secretBoxFor(config: { dataDir: string }): SecretBox {
  let box = boxes.get(config.dataDir);
  if (!box) boxes.set(config.dataDir, (box = openSecretBox(config.dataDir)));
  return box;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function loadKey(dataDir: string, env: Record<string, string | undefined>): KeyObject {
  const fromEnv = env.POMBO_SECRET_KEY?.trim();
  if (fromEnv) return decodeKey(fromEnv, "POMBO_SECRET_KEY");
  const path = join(dataDir, "secret.key");
  mkdirSync(dataDir, { recursive: true });
  try {
    // "wx": create only if absent, so two starts cannot race each other into two different keys.
    writeFileSync(path, Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64") + "\n", { flag: "wx", mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return decodeKey(readFileSync(path, "utf8").trim(), path);
}

function decodeKey(b64: string, where: string): KeyObject {
  const key = new Uint8Array(Buffer.from(b64, "base64"));
  if (key.length !== 32) throw new Error(`${where} must hold 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`);
  return createSecretKey(key);
}
