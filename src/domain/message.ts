/**
 * Message statuses and the one rule about them: a status never moves backwards.
 * pending → queued → sending → sent → delivered | undelivered | failed; skipped is final;
 * unknown = a send that may or may not have reached the provider, settled by a report or a lookup.
 */
export const MESSAGE_STATUSES = ["pending", "queued", "sending", "unknown", "sent", "delivered", "undelivered", "failed", "skipped"] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const RANK: Record<MessageStatus, number> = {
  pending: 0,
  queued: 1,
  sending: 2,
  unknown: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  skipped: 4,
};

/** True when the status can never change again. */
export function isFinal(s: MessageStatus): boolean {
  return RANK[s] === 4;
}

/**
 * Whether a delivery report may move a message from `from` to `to`: only forwards, never out of a final state.
 * (Transitions between pending/queued/sending made by the sender itself are checked where they happen.)
 */
export function canAdvance(from: MessageStatus, to: MessageStatus): boolean {
  if (isFinal(from)) return false;
  return RANK[to] > RANK[from] || (from === "unknown" && RANK[to] >= 3);
}

/** Reasons a message is skipped, as counted on the campaign. */
export type SkipReason = "suppressed" | "frequency_cap" | "canceled" | "invalid_number" | "no_sender" | "empty_body";
