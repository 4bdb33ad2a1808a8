/** Time-ordered, unique ids (UUIDv7 without dashes): sortable by creation, safe in URLs. */
export function newId(): string {
  return Bun.randomUUIDv7().replaceAll("-", "");
}

/**
 * Id of a campaign message: its phone's slot (the pending-index random component, recipients.ts; 8 hex digits)
 * followed by a time-ordered id. Messages then sit in the `messages` database in the order dispatch samples
 * them (a range of the pending index), so a round of picks, the sends that follow and their delivery reports
 * touch a few adjacent pages instead of one random page each (measured: 3,600 → 5,600 messages/s in
 * bench:send at 200,000, with a random slot still).
 */
export function campaignMessageId(rand: number): string {
  return rand.toString(16).padStart(8, "0") + newId();
}

/** The time-ordered part of a message id (listings sort by it): the whole id, or what follows the random prefix. */
export function messageListingKey(id: string): string {
  return id.length > 32 ? id.slice(id.length - 32) : id;
}

/** A random secret token (256 bits, base64url) with a readable prefix, e.g. `pmb_…`. */
export function newSecret(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return prefix + Buffer.from(bytes).toString("base64url");
}

/** Hex SHA-256 of a token: what we store instead of the token itself. */
export function hashSecret(token: string): string {
  return new Bun.CryptoHasher("sha256").update(token).digest("hex");
}
