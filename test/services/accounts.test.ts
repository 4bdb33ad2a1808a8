import { afterEach, beforeEach, expect, setDefaultTimeout, test } from "bun:test";
import { changeCampaignStatus, createCampaign } from "../../src/services/campaigns.ts";
import { deleteAccount } from "../../src/services/accounts.ts";
import { getAccountById } from "../../src/storage/accounts.ts";
import { makeAccount, makeCompany, makeList, makeSystem, type TestSystem } from "../helpers/system.ts";

setDefaultTimeout(60_000); // real servers, LMDB and worker threads: room under load (bunfig.toml cannot set it)

let sys: TestSystem;
beforeEach(() => {
  sys = makeSystem();
});
afterEach(() => sys.destroy());

test("an account used by an unfinished campaign cannot be deleted; once the campaign is canceled it can", async () => {
  const auth = await makeCompany(sys);
  const account = await makeAccount(sys, auth);
  const list = await makeList(sys, auth, [{ phone: "+12025550123" }]);
  const campaign = await createCampaign(sys.deps, auth, { name: "c", accountId: account.id, listIds: [list.id], body: "hi" });
  const refused = await deleteAccount(sys.deps, auth.company.id, account.id).catch((e) => e);
  expect(refused).toMatchObject({ kind: "conflict", code: "account_in_use" });
  expect(getAccountById(sys.deps.storage, account.id)).toBeDefined();
  await changeCampaignStatus(sys.deps, auth, campaign.id, "cancel");
  await deleteAccount(sys.deps, auth.company.id, account.id);
  expect(getAccountById(sys.deps.storage, account.id)).toBeUndefined();
});
