import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSecretBox } from "../../src/storage/secrets.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "pombo-secret-"));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

test("creates DATA_DIR/secret.key with mode 0600 and reuses it on the next open", () => {
  const dir = fresh();
  const sealed = openSecretBox(dir, {}).seal("hunter2", "account:1:authToken");
  expect(statSync(join(dir, "secret.key")).mode & 0o777).toBe(0o600);
  expect(Buffer.from(readFileSync(join(dir, "secret.key"), "utf8").trim(), "base64")).toHaveLength(32);
  expect(sealed).not.toContain("hunter2");
  expect(openSecretBox(dir, {}).open(sealed, "account:1:authToken")).toBe("hunter2");
});

test("a ciphertext does not open under another aad, another key, or after tampering", () => {
  const box = openSecretBox(fresh(), {});
  const sealed = box.seal("hunter2", "account:1:authToken");
  expect(() => box.open(sealed, "account:2:authToken")).toThrow();
  expect(() => openSecretBox(fresh(), {}).open(sealed, "account:1:authToken")).toThrow();
  const raw = Buffer.from(sealed.slice(5), "base64");
  raw[raw.length - 1]! ^= 1;
  expect(() => box.open("enc1:" + raw.toString("base64"), "account:1:authToken")).toThrow();
});

test("POMBO_SECRET_KEY takes precedence over the key file, and a malformed one fails fast", () => {
  const dir = fresh();
  const key = Buffer.alloc(32, 7).toString("base64");
  const sealed = openSecretBox(dir, { POMBO_SECRET_KEY: key }).seal("x", "a");
  expect(openSecretBox(fresh(), { POMBO_SECRET_KEY: key }).open(sealed, "a")).toBe("x");
  expect(() => openSecretBox(dir, { POMBO_SECRET_KEY: "c2hvcnQ=" })).toThrow(/32 random bytes/);
});
