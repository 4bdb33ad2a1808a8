import { afterEach, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AuthContext } from "../../src/deps.ts";
import type { InboundSms } from "../../src/drivers/driver.ts";
import { deleteAccount } from "../../src/services/accounts.ts";
import { receiveInbound } from "../../src/services/inbound.ts";
import { PART_KEEP_MS, PART_WAIT_MS } from "../../src/services/inbound-parts.ts";
import type { Account } from "../../src/storage/accounts.ts";
import { listInbound } from "../../src/storage/inbound.ts";
import { listPartSets } from "../../src/storage/inbound-parts.ts";
import { isSuppressed } from "../../src/storage/suppressions.ts";
import { makeAccount, makeCompany, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

const OURS = "+12025550100";
const PHONE = "+15550001111";
const HOUR = 60 * 60_000;

let sys: TestSystem;
let auth: AuthContext;
let account: Account;
let nextId = 0;

beforeEach(async () => {
  sys = makeSystem();
  auth = await makeCompany(sys);
  account = await makeAccount(sys, auth, { numbers: [OURS] });
});
afterEach(() => sys.destroy());

/** One part as a driver hands it over: its own provider id, this part's text only. */
const part = (seq: number, total: number, body: string, ref = 5): InboundSms => ({
  type: "inbound", providerId: `p${++nextId}`, from: PHONE, to: OURS, body, at: sys.clock.now(), part: { ref, total, seq },
});
const receive = (...parts: InboundSms[]) => receiveInbound(sys.deps, account, parts);
const bodies = () => listInbound(sys.deps.storage, auth.company.id, { limit: 50 }).items.reverse().map((r) => r.body);
const heldSets = () => [...listPartSets(sys.deps.storage)];

describe("concatenated replies", () => {
  test("an incomplete reply is stored as received a day after its first part, '…' for the missing part, with a warning", async () => {
    await receive(part(1, 3, "Hello "), part(3, 3, "world"));
    sys.clock.advance(PART_WAIT_MS - 1);
    await sys.tick();
    expect(bodies()).toEqual([]);
    sys.clock.advance(1);
    await sys.tick();
    await sys.tick(); // re-running the sweep stores nothing twice
    expect(bodies()).toEqual(["Hello …world"]);
    expect(sys.logs.some((l) => l.includes("concatenated reply incomplete") && l.includes('"missing":[2]'))).toBe(true);
  });

  test("a missing part that turns up after its set was stored incomplete is stored alone", async () => {
    await receive(part(1, 2, "first half, "));
    sys.clock.advance(PART_WAIT_MS);
    await sys.tick();
    await receive(part(2, 2, "second half"));
    expect(bodies()).toEqual(["first half, …", "second half"]);
  });

  test("a part resent after its reply was stored is ignored for a day, then the set is forgotten", async () => {
    const [a, b] = [part(1, 2, "Yes, "), part(2, 2, "please call me")];
    await receive(a!, b!);
    sys.clock.advance(PART_KEEP_MS - HOUR);
    await sys.tick();
    await receive({ ...b!, providerId: "resent" });
    expect(bodies()).toEqual(["Yes, please call me"]);
    sys.clock.advance(HOUR);
    await sys.tick();
    expect(heldSets()).toEqual([]);
  });

  test("a reference reused with other text is a new reply; an incomplete old set is stored as received first", async () => {
    await receive(part(1, 2, "one "), part(2, 2, "done"));
    await receive(part(1, 2, "two "), part(2, 2, "also done"));
    await receive(part(1, 2, "three, "));
    await receive(part(1, 2, "four "), part(2, 2, "complete"));
    expect(bodies()).toEqual(["one done", "two also done", "three, …", "four complete"]);
  });

  test("STOP split over two parts opts the sender out once the reply is whole", async () => {
    await receive(part(1, 2, "ST"));
    expect(isSuppressed(sys.deps.storage, auth.company.id, PHONE)).toBe(false);
    await receive(part(2, 2, "OP"));
    expect(isSuppressed(sys.deps.storage, auth.company.id, PHONE)).toBe(true);
  });

  test("parts with an impossible part number are stored as plain replies", async () => {
    await receive(part(3, 2, "odd"), part(0, 2, "zero"));
    expect(bodies()).toEqual(["odd", "zero"]);
    expect(heldSets()).toEqual([]);
  });

  test("the parts of a deleted account are dropped when they expire", async () => {
    await receive(part(1, 2, "orphan"));
    await deleteAccount(sys.deps, auth.company.id, account.id);
    sys.clock.advance(PART_WAIT_MS);
    await sys.tick();
    expect(heldSets()).toEqual([]);
    expect(bodies()).toEqual([]);
  });
});
