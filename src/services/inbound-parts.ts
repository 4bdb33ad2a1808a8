/**
 * Reassembly of concatenated replies, for any driver that hands long replies over part by part
 * (`InboundSms.part`). Each part is stored by the driver as its own webhook as soon as it arrives; here, inside
 * receiveInbound's write transaction, parts wait in `inboundParts` until the set is complete, and then ONE reply
 * with the joined text goes on to the usual handling (STOP words, keywords, events). Safe to re-run: a part held
 * with the same text is a resend and changes nothing.
 *
 * A part is identified by [account, from, to, ref, total] and its seq:
 * - held with the same text: a resend (the SMSC missed our ack), ignored — also for PART_KEEP_MS after the
 *   reply was stored, so a late resend cannot start a second copy;
 * - its seq held with another text: a new message reusing the reference. An incomplete old set is stored as
 *   received first, a done one forgotten;
 * - a set still incomplete PART_WAIT_MS after its first part is stored as received, "…" in place of each
 *   missing part, with a warning (the minute tick, `expirePartSetSync`); a missing part that still turns up
 *   afterwards is stored alone.
 */
import type { Deps } from "../deps.ts";
import type { InboundPart, InboundSms } from "../drivers/driver.ts";
import { getPartSet, listPartSets, packPartText, putPartSetSync, removePartSetSync, unpackPartText, type PartSet, type PartSetKey, type StoredPart } from "../storage/inbound-parts.ts";

/** How long an incomplete set waits for its missing parts before it is stored as received. */
export const PART_WAIT_MS = 24 * 60 * 60_000;
/** How long a stored set is kept to recognise resent parts. */
export const PART_KEEP_MS = 24 * 60 * 60_000;
/** Most sets the minute tick expires at once. */
export const PART_EXPIRE_BATCH = 1_000;

/** Joins part texts in order (the driver's `joinParts`, or plain concatenation). */
export type JoinParts = (texts: string[]) => string;
type PartDeps = Pick<Deps, "storage" | "clock" | "log">;

/**
 * Folds one part into its set; returns the replies to store now: the joined reply when this part completed the
 * set, an older set given up on when its reference is reused, this part alone when its set was already stored.
 * Call inside a write transaction.
 */
export function collectPartSync(deps: PartDeps, accountId: string, r: InboundSms & { part: InboundPart }, join: JoinParts): InboundSms[] {
  const { ref, total, seq } = r.part;
  if (!(Number.isInteger(total) && Number.isInteger(seq) && total >= 2 && seq >= 1 && seq <= total)) return [withoutPart(r)];
  const key: PartSetKey = [accountId, r.from, r.to, ref, total];
  const out: InboundSms[] = [];
  let set = getPartSet(deps.storage, key);
  const held = set?.parts.find((p) => p.seq === seq);
  if (set && held) {
    if (unpackPartText(held.text) === r.body) return out;
    if (set.doneAt === undefined) out.push(giveUp(deps, key, set, join, "reference reused"));
    set = undefined;
  }
  const now = deps.clock.now();
  const part: StoredPart = { seq, providerId: r.providerId, at: r.at ?? now, text: packPartText(r.body) };
  if (set?.doneAt !== undefined) {
    putPartSetSync(deps.storage, key, { ...set, parts: withPart(set.parts, part) });
    return [...out, withoutPart(r)];
  }
  const next: PartSet = { v: 1, firstAt: set?.firstAt ?? now, parts: withPart(set?.parts ?? [], part) };
  if (next.parts.length === total) {
    next.doneAt = now;
    out.push(toReply(key, next, join));
  }
  putPartSetSync(deps.storage, key, next);
  return out;
}

/** Keys of the sets due for `expirePartSetSync`: incomplete past PART_WAIT_MS or stored past PART_KEEP_MS. Read-only. */
export function duePartSets(deps: Pick<Deps, "storage">, now: number, limit = PART_EXPIRE_BATCH): PartSetKey[] {
  const due: PartSetKey[] = [];
  for (const { key, set } of listPartSets(deps.storage)) {
    if (due.length >= limit) break;
    if (set.doneAt === undefined ? now - set.firstAt >= PART_WAIT_MS : now - set.doneAt >= PART_KEEP_MS) due.push(key);
  }
  return due;
}

/**
 * Re-reads a due set: an incomplete one is marked stored and returned as a reply (with a warning), a stored one is
 * forgotten. Call inside a write transaction; safe to re-run (a set no longer due is left alone).
 */
export function expirePartSetSync(deps: PartDeps, key: PartSetKey, now: number, join: JoinParts): InboundSms | undefined {
  const set = getPartSet(deps.storage, key);
  if (!set) return undefined;
  if (set.doneAt !== undefined) {
    if (now - set.doneAt >= PART_KEEP_MS) removePartSetSync(deps.storage, key);
    return undefined;
  }
  if (now - set.firstAt < PART_WAIT_MS) return undefined;
  putPartSetSync(deps.storage, key, { ...set, doneAt: now });
  return giveUp(deps, key, set, join, "timed out");
}

function giveUp(deps: PartDeps, key: PartSetKey, set: PartSet, join: JoinParts, reason: string): InboundSms {
  const [accountId, , , ref, total] = key;
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((seq) => !set.parts.some((p) => p.seq === seq));
  deps.log.warn("concatenated reply incomplete, stored as received", { accountId, ref, total, missing, reason });
  return toReply(key, set, join);
}

/** The reply a set stands for: texts in seq order ("…" for a missing part), the lowest part's provider id, the latest time. */
function toReply(key: PartSetKey, set: PartSet, join: JoinParts): InboundSms {
  const [, from, to, , total] = key;
  const texts = Array.from({ length: total }, (_, i) => {
    const p = set.parts.find((x) => x.seq === i + 1);
    return p ? unpackPartText(p.text) : "…";
  });
  return { type: "inbound", providerId: set.parts[0]!.providerId, from, to, body: join(texts), at: Math.max(...set.parts.map((p) => p.at)) };
}

function withPart(parts: StoredPart[], part: StoredPart): StoredPart[] {
  return [...parts.filter((p) => p.seq !== part.seq), part].sort((a, b) => a.seq - b.seq);
}

function withoutPart(r: InboundSms): InboundSms {
  const { part: _, ...reply } = r;
  return reply;
}
