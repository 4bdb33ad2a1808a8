import { expect, setDefaultTimeout, test } from "bun:test";
import { createDriverRegistry } from "../../src/drivers/registry.ts";
import { createSandboxDriver } from "../../src/drivers/sandbox.ts";
import { createTestHost } from "../helpers/driver-host.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

test("lists every driver with its fields, secrets flagged, sandbox first", async () => {
  const registry = createDriverRegistry(createTestHost().host);
  const list = registry.list();
  expect(list[0]!.name).toBe("sandbox");
  const names = list.map((d) => d.name);
  for (const n of ["sandbox", "twilio", "plivo"]) expect(names).toContain(n);
  const twilio = list.find((d) => d.name === "twilio")!;
  expect(twilio.fields.map((f) => [f.name, f.secret])).toEqual([["accountSid", false], ["authToken", true], ["baseUrl", false]]);
  const plivo = list.find((d) => d.name === "plivo")!;
  expect(plivo.fields.map((f) => [f.name, f.secret])).toEqual([["authId", false], ["authToken", true], ["baseUrl", false]]);
  expect(registry.get("twilio")?.name).toBe("twilio");
  expect(registry.get("nope")).toBeUndefined();
  await registry.close();
  await registry.close();
});

test("refuses two drivers with the same name", () => {
  expect(() => createDriverRegistry(createTestHost().host, [createSandboxDriver, createSandboxDriver])).toThrow(/sandbox/);
});
