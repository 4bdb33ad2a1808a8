/** Shared set-up for the benchmarks: a company with a token, and `sent` messages with signed Twilio callbacks. */
import { computeTwilioSignature } from "../src/drivers/twilio-signature.ts";
import { addNumber, createAccount } from "../src/services/accounts.ts";
import { createToken, createUser } from "../src/services/auth.ts";
import { insertMessageSync } from "../src/storage/messages.ts";
import type { System } from "../src/system.ts";

export const TWILIO_SID = "AC" + "b".repeat(32);
export const TWILIO_TOKEN = "bench-auth-token-0123456789abcdef";

/** A company, its owner as an AuthContext, and an API token. */
export async function benchCompany(sys: System) {
  const { user, company } = await createUser(sys.deps, { email: "bench@pombo.test", password: "bench-password", company: "Bench" });
  const auth = { user: { id: user.id, email: user.email, role: user.role }, company: { id: company.id, name: company.name } };
  const { token } = await createToken(sys.deps, auth, "bench");
  return { auth, token };
}

/**
 * A Twilio account with `n` messages already `sent`, and for each a status callback (`delivered`) signed the
 * way Twilio signs it for `baseUrl`. Returns the requests and the message ids, in the same order.
 */
export async function seedTwilioCallbacks(sys: System, companyId: string, baseUrl: string, n: number) {
  const account = await createAccount(sys.deps, companyId, { name: "twilio", driver: "twilio", config: { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN } });
  await addNumber(sys.deps, companyId, account.id, { number: "+12025550100", type: "long_code" });
  const url = `${baseUrl}/webhooks/twilio/${account.id}`;
  const s = sys.deps.storage;
  const requests: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10_000) {
    await s.env.transaction(() => {
      for (let j = i; j < Math.min(n, i + 10_000); j++) {
        const sid = "SM" + j.toString(16).padStart(32, "0");
        const to = `+1202${String(1000000 + j)}`;
        const id = `bench${j}`;
        insertMessageSync(s, { v: 1, id, companyId, accountId: account.id, to, from: "+12025550100", body: "Hi", segments: 1, encoding: "GSM-7", status: "sent", tz: "", rand: 0, createdAt: 0, sentAt: 0, providerId: sid });
        s.db("providerIds").putSync([account.id, sid], id);
        ids.push(id);
        const params = { MessageSid: sid, SmsSid: sid, MessageStatus: "delivered", SmsStatus: "delivered", AccountSid: TWILIO_SID, From: "+12025550100", To: to, ApiVersion: "2010-04-01" };
        const signature = computeTwilioSignature(TWILIO_TOKEN, url, new Map(Object.entries(params).map(([k, v]) => [k, [v]])));
        requests.push({ url, headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params).toString() });
      }
    });
  }
  return { accountId: account.id, requests, ids };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const p = srv.port!;
  srv.stop(true);
  return p;
}
