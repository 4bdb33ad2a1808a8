/**
 * Encryption at rest for credentials (provider secrets, outgoing-webhook secrets): AES-256-GCM with a key kept
 * outside the LMDB files, so a copied database (or backup) alone does not reveal them.
 *
 * The key comes from `POMBO_SECRET_KEY` (base64 of 32 bytes) or else from `DATA_DIR/secret.key`, created with
 * mode 0600 on first use. Back that file up separately from the data: without it stored secrets cannot be read.
 * A ciphertext is bound to its place (`aad`, e.g. "account:<id>:authToken"), so it cannot be copied onto another
 * record. Nothing here logs; callers must never log plaintexts either.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
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
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(aad));
      const body = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
      return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString("base64");
    },
    open(sealed, aad) {
      if (!sealed.startsWith(PREFIX)) throw new Error("not a sealed secret");
      const raw = Buffer.from(sealed.slice(PREFIX.length), "base64");
      const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12)).setAAD(Buffer.from(aad));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
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

function loadKey(dataDir: string, env: Record<string, string | undefined>): Buffer {
  const fromEnv = env.POMBO_SECRET_KEY?.trim();
  if (fromEnv) return decodeKey(fromEnv, "POMBO_SECRET_KEY");
  const path = join(dataDir, "secret.key");
  mkdirSync(dataDir, { recursive: true });
  try {
    // "wx": create only if absent, so two starts cannot race each other into two different keys.
    writeFileSync(path, randomBytes(32).toString("base64") + "\n", { flag: "wx", mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return decodeKey(readFileSync(path, "utf8").trim(), path);
}

function decodeKey(b64: string, where: string): Buffer {
  const key = Buffer.from(b64, "base64");
  if (key.length !== 32) throw new Error(`${where} must hold 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`), got ${key.length} bytes`);
  return key;
}
