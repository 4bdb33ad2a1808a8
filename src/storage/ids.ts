/** Time-ordered, unique ids (UUIDv7 without dashes): sortable by creation, safe in URLs. */
export function newId(): string {
  return Bun.randomUUIDv7().replaceAll("-", "");
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
