import { expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const CHAOS = join(import.meta.dir, "../../scripts/chaos.ts");

test("chaos, short setting: import, campaign and webhook flood through 3 random kill -9s lose and double nothing", async () => {
  const proc = Bun.spawn(["bun", CHAOS, "--rows", "5000", "--messages", "2000", "--kills", "3"], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) console.error(out.slice(-6_000), err.slice(-3_000));
  else console.log(out.slice(out.indexOf("chaos figures:")));
  expect(code).toBe(0);
  expect(out).toContain("CHAOS PASSED");
}, 90_000);
