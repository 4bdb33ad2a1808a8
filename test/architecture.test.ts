import { expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const SRC = join(import.meta.dir, "..", "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** Every relative import of a file, resolved to a path under src/ (e.g. "storage/db.ts"). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/from\s+"(\.[^"]+)"/g)].map((m) => relative(SRC, join(file, "..", m[1]!)));
}

const layer = (path: string) => path.split("/")[0]!;
const all = files(SRC).map((f) => ({ file: relative(SRC, f), imports: importsOf(f) }));

test("domain is pure: it imports only from domain", () => {
  const bad = all.filter((f) => layer(f.file) === "domain").flatMap((f) => f.imports.filter((i) => layer(i) !== "domain").map((i) => `${f.file} → ${i}`));
  expect(bad).toEqual([]);
});

test("http never imports a provider driver (only the contract)", () => {
  const bad = all.filter((f) => layer(f.file) === "http").flatMap((f) => f.imports.filter((i) => layer(i) === "drivers" && i !== "drivers/driver.ts").map((i) => `${f.file} → ${i}`));
  expect(bad).toEqual([]);
});

test("dependencies point one way: nothing below http imports http, storage imports no service", () => {
  const bad = all.flatMap((f) =>
    f.imports
      .filter((i) => (layer(i) === "http" && !["http", "app.ts", "system.ts"].includes(layer(f.file))) || (layer(f.file) === "storage" && layer(i) === "services"))
      .map((i) => `${f.file} → ${i}`),
  );
  expect(bad).toEqual([]);
});

test("nothing outside src/drivers names a provider other than through the registry", () => {
  const providers = /drivers\/(twilio|vonage|telnyx|plivo|smpp|sandbox)/;
  const bad = all.filter((f) => layer(f.file) !== "drivers").flatMap((f) => f.imports.filter((i) => providers.test(i)).map((i) => `${f.file} → ${i}`));
  expect(bad).toEqual([]);
});
