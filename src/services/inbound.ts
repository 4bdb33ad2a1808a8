import type { Deps } from "../deps.ts";
import type { InboundPart, InboundSms } from "../drivers/driver.ts";
import { HELP_WORDS, normalizeWord, STANDARD_STOP_WORDS, START_WORDS } from "../domain/compliance-settings.ts";
import { countSegments } from "../domain/segments.ts";
import { getAccountById, type Account } from "../storage/accounts.ts";
import { newId } from "../storage/ids.ts";
import { insertInboundSync, type InboundMessage } from "../storage/inbound.ts";
import { removePartSetSync } from "../storage/inbound-parts.ts";
import { insertMessageSync, type Message } from "../storage/messages.ts";
import { getRecipient, lastSentMessage } from "../storage/recipients.ts";
import { isSuppressed, putSuppressionSync, removeSuppressionSync } from "../storage/suppressions.ts";
import { getComplianceSettings } from "./compliance.ts";
import { emitEventSync } from "./events.ts";
import { collectPartSync, duePartSets, expirePartSetSync, type JoinParts } from "./inbound-parts.ts";
import { findKeyword } from "./keywords.ts";
import { recordInboundStatSync } from "./stats.ts";
import { SEND_JOB, type SendJob } from "./sending.ts";

export const STOP_CONFIRMATION = "You are unsubscribed and will receive no more messages. Reply START to resubscribe.";
export const START_CONFIRMATION = "You are subscribed again. Reply STOP to unsubscribe.";

/** What handling a company's replies needs, read once per batch. */
interface ReplyContext {
  settings: ReturnType<typeof getComplianceSettings>;
  stopWords: Set<string>;
}

function replyContext(deps: Deps, companyId: string): ReplyContext {
  const settings = getComplianceSettings(deps.storage, companyId);
  return { settings, stopWords: new Set([...STANDARD_STOP_WORDS, ...settings.stopWords.map(normalizeWord)]) };
}

/** The account's driver's way of joining a concatenated reply's parts. */
function joinFor(deps: Deps, account: Account): JoinParts {
  const driver = deps.drivers.get(account.driver);
  return driver?.joinParts ? (texts) => driver.joinParts!(texts) : (texts) => texts.join("");
}

/**
 * Stores replies and acts on them, in one transaction per batch: ties each to the last outbound message
 * sent to that number, then STOP-words suppress and confirm once, START/UNSTOP lift and confirm, HELP
 * answers with the help text, a keyword sends its auto-reply (never to a suppressed number).
 * A part of a concatenated reply is held until its set is complete (inbound-parts.ts), then stored as one reply.
 * Safe to run twice: a reply whose provider id is already stored, or a part already held, is ignored.
 */
export async function receiveInbound(deps: Deps, account: Account, replies: InboundSms[]): Promise<void> {
  const ctx = replyContext(deps, account.companyId);
  const join = joinFor(deps, account);
  await deps.storage.env.transaction(() => {
    for (const r of replies) {
      const ready = r.part ? collectPartSync(deps, account.id, r as InboundSms & { part: InboundPart }, join) : [r];
      for (const reply of ready) storeReplySync(deps, account, ctx, reply);
    }
  });
}

/**
 * The minute tick's part: stores concatenated replies still incomplete after PART_WAIT_MS as received, and
 * forgets sets kept past PART_KEEP_MS (inbound-parts.ts). Sets of a deleted account are dropped. Safe to re-run.
 */
export async function flushExpiredParts(deps: Deps, now: number): Promise<void> {
  const due = duePartSets(deps, now);
  if (due.length === 0) return;
  const contexts = new Map<string, ReplyContext>();
  await deps.storage.env.transaction(() => {
    for (const key of due) {
      const account = getAccountById(deps.storage, key[0]);
      if (!account) {
        removePartSetSync(deps.storage, key);
        continue;
      }
      const reply = expirePartSetSync(deps, key, now, joinFor(deps, account));
      if (!reply) continue;
      if (!contexts.has(account.companyId)) contexts.set(account.companyId, replyContext(deps, account.companyId));
      storeReplySync(deps, account, contexts.get(account.companyId)!, reply);
    }
  });
}

/** Stores one reply and acts on it (see receiveInbound). Call inside a write transaction. */
function storeReplySync(deps: Deps, account: Account, { settings, stopWords }: ReplyContext, r: InboundSms): void {
  const s = deps.storage;
  const companyId = account.companyId;
  if (s.db("inboundProviderIds").get([account.id, r.providerId])) return;
  const word = normalizeWord(r.body);
  const keyword = findKeyword(s, companyId, word);
  const intent: InboundMessage["intent"] = stopWords.has(word) ? "stop" : START_WORDS.includes(word) ? "start" : HELP_WORDS.includes(word) ? "help" : keyword ? "keyword" : "message";
  const rec: InboundMessage = {
    v: 1, id: newId(), companyId, accountId: account.id, providerId: r.providerId, from: r.from, to: r.to, body: r.body,
    receivedAt: r.at ?? deps.clock.now(), replyTo: lastSentMessage(s, getRecipient(s, companyId, r.from)), intent,
  };
  insertInboundSync(s, rec);
  recordInboundStatSync(deps, companyId, "replies");
  emitEventSync(deps, companyId, "inbound.received", { id: rec.id, from: rec.from, to: rec.to, body: rec.body, replyTo: rec.replyTo, receivedAt: new Date(rec.receivedAt).toISOString() });
  const suppressed = isSuppressed(s, companyId, r.from);
  if (intent === "stop" && !suppressed) {
    putSuppressionSync(s, companyId, r.from, { reason: "stop_word", at: deps.clock.now() });
    recordInboundStatSync(deps, companyId, "optOuts");
    emitEventSync(deps, companyId, "contact.opted_out", { phone: r.from, reason: "stop_word", at: new Date(deps.clock.now()).toISOString() });
    queueReplySync(deps, account, rec, STOP_CONFIRMATION, "stop_confirm");
  } else if (intent === "start" && suppressed) {
    removeSuppressionSync(s, companyId, r.from);
    queueReplySync(deps, account, rec, START_CONFIRMATION, "start_confirm");
  } else if (intent === "help") {
    queueReplySync(deps, account, rec, settings.helpText, "help");
  } else if (intent === "keyword" && keyword && !suppressed) {
    queueReplySync(deps, account, rec, keyword.reply, "auto_reply");
  }
}

/** Creates a reply message (exempt from quiet hours and the frequency cap) and queues its send now. */
function queueReplySync(deps: Deps, account: Account, to: InboundMessage, body: string, kind: NonNullable<Message["kind"]>): void {
  const seg = countSegments(body);
  const now = deps.clock.now();
  const m: Message = {
    v: 1, id: newId(), companyId: account.companyId, accountId: account.id, to: to.from, from: to.to, body,
    segments: seg.segments, encoding: seg.encoding, status: "queued", tz: "", rand: 0, createdAt: now, queuedAt: now, kind,
  };
  insertMessageSync(deps.storage, m);
  const job: SendJob = { messageId: m.id, companyId: m.companyId, accountId: m.accountId, to: m.to, from: m.from!, body, tz: "" };
  deps.queue.enqueueSync({ name: SEND_JOB, data: job, key: `send:${m.id}` });
}
