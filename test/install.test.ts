import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const root = join(import.meta.dir, "..");

/** `bun.lock`, `package.json` and the geo stamp: what a second install must leave as it was. */
async function snapshot() {
  return Promise.all(["bun.lock", "package.json"].map((f) => Bun.file(join(root, f)).text()));
}

test("install.sh runs again on an installed checkout without error and changes nothing", async () => {
  const before = await snapshot();
  const proc = Bun.spawn(["bash", "./install.sh"], { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, DATA_DIR: join(root, "data") } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ code, err: code === 0 ? "" : err }).toEqual({ code: 0, err: "" });
  expect(out).toContain("ready");
  expect(await snapshot()).toEqual(before);
}, 120_000);
