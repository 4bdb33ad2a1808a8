import type { Deps } from "../deps.ts";
import { countSegments } from "../domain/segments.ts";
import { parseTemplate, renderTemplate, type TemplatePart } from "../domain/template.ts";
import { CounterBatch, getCampaign, putCampaignSync, type Campaign } from "../storage/campaigns.ts";
import { listContacts, type Contact } from "../storage/contacts.ts";
import { campaignMessageId } from "../storage/ids.ts";
import { recipientSlot } from "../storage/recipients.ts";
import { insertMessageSync, type Message, PendingChanges, putMessageSync } from "../storage/messages.ts";
import { GENERATE_JOB } from "./campaigns.ts";

/** Messages created per transaction. */
export const GENERATE_BATCH = 10_000;
/**
 * Messages per transaction while foreground work (sends, webhooks) runs: a batch's transaction holds the event
 * loop while it runs (~30 µs a message under load), so 10,000 would stall webhooks and API reads for ~300 ms.
 */
export const GENERATE_BUSY_BATCH = 1_000;

type ContactRow = Contact;

function renderFor(parts: TemplatePart[], row: ContactRow) {
  const lower = new Map<string, string>();
  for (const [k, v] of Object.entries(row.fields)) lower.set(k.toLowerCase(), v);
  const geo = row.geo as unknown as Record<string, string | undefined>;
  return renderTemplate(parts, (f) => lower.get(f) ?? (f === "phone" ? row.phone : (geo[f] ?? undefined)));
}

/**
 * Turns the next batch of a campaign's contacts (GENERATE_BATCH, or GENERATE_BUSY_BATCH when `busy`) into
 * pending messages, in one transaction together with the resume cursor; queues the next batch, or ends generation. Safe to run twice: a run whose
 * cursor is stale (another run already committed that batch) writes nothing.
 */
export async function generateNextBatch(deps: Deps, companyId: string, campaignId: string, busy = false): Promise<void> {
  const s = deps.storage;
  const c = getCampaign(s, companyId, campaignId);
  if (!c || c.generated || c.status === "canceled" || !c.cursor) return;
  const cursor = c.cursor;
  const listId = c.listIds[cursor.list];
  const size = busy ? GENERATE_BUSY_BATCH : GENERATE_BATCH;
  const rows = listId ? listContacts(s, companyId, listId, size, cursor.after).items : [];
  const parts = parseTemplate(c.body);
  const now = deps.clock.now();
  const prepared = rows.map((row) => {
    const { text, missing } = renderFor(parts, row);
    const seg = countSegments(text);
    // The phone's slot: campaign messages and recipient records share one order (storage/recipients.ts).
    const rand = recipientSlot(companyId, row.phone);
    const m: Message = {
      v: 1, id: campaignMessageId(rand), companyId, campaignId, accountId: c.accountId, to: row.phone, body: text,
      segments: seg.segments, encoding: seg.encoding, status: "pending", tz: row.geo.timezone ?? "",
      rand, createdAt: now,
    };
    return { m, missing };
  });
  const exhausted = rows.length < size;
  const nextCursor = exhausted ? { list: cursor.list + 1 } : { list: cursor.list, after: rows[rows.length - 1]!.phone };
  const done = nextCursor.list >= c.listIds.length;

  await s.env.transaction(() => {
    const cur = getCampaign(s, companyId, campaignId);
    if (!cur || cur.generated || !sameCursor(cur.cursor, cursor)) return; // a duplicate run committed this batch already
    const counters = new CounterBatch(s);
    const pending = new PendingChanges(s);
    for (const { m, missing } of prepared) {
      if (s.db("campaignMessages").get([campaignId, m.to])) continue; // on an earlier list already: one message per phone
      insertMessageSync(s, m);
      const canceled = cur.status === "canceled";
      if (canceled) {
        putMessageSync(s, { ...m, status: "skipped", reason: "canceled" });
        counters.add(campaignId, "skipped", 1);
        counters.add(campaignId, "skip:canceled", 1);
      } else {
        pending.add(m);
        counters.add(campaignId, "pending", 1);
      }
      counters.add(campaignId, "total", 1);
      if (missing) counters.add(campaignId, "missingFields", 1);
    }
    pending.flushSync();
    counters.flushSync();
    putCampaignSync(s, done ? finishGeneration(cur, now) : { ...cur, cursor: nextCursor });
    if (!done) deps.queue.enqueueSync({ name: GENERATE_JOB, data: { companyId, campaignId }, key: `generate:${campaignId}:${nextCursor.list}:${nextCursor.after ?? ""}` });
  });
}

function sameCursor(a: Campaign["cursor"], b: Campaign["cursor"]): boolean {
  return !!a && !!b && a.list === b.list && a.after === b.after;
}

/** The campaign once its last batch is in: paused, or running when a start was asked for (or its startAt passed). */
function finishGeneration(c: Campaign, now: number): Campaign {
  const run = c.status === "pending" && (c.startRequested || (c.startAt !== undefined && c.startAt <= now));
  const status = c.status === "pending" ? (run ? "running" : "paused") : c.status;
  return { ...c, generated: true, cursor: undefined, status, startRequested: undefined, startedAt: run ? now : c.startedAt };
}
