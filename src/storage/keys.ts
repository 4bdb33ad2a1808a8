/**
 * Every LMDB database and key layout Pombo uses, one documented line each.
 * Keys are arrays, ordered element by element; tenant-owned records start with
 * the company id, so one company's data is one key range and isolation is structural.
 * Values are msgpack (lmdb's default) records carrying `v`, their schema version.
 */
export const DB_NAMES = [
  "meta", //        key: string                              → schema version and other process-wide facts
  "companies", //   key: companyId                            → Company
  "companyNames", //key: lower(name)                          → companyId
  "users", //       key: userId                               → User
  "userEmails", //  key: lower(email)                         → userId
  "companyUsers", //key: [companyId, userId]                  → true (members of a company)
  "sessions", //    key: sha256(session token) hex            → Session
  "tokens", //      key: sha256(api token) hex                → ApiToken
  "companyTokens", //key: [companyId, tokenId]                → sha256 hex of the token
  "jobs", //        key: jobId                                → Job (the queue's records)
  "jobsReady", //   key: [queue, priority, runAt, jobId]      → null (due order per queue)
  "jobKeys", //     key: idempotency key                      → jobId
  "jobsDead", //    key: [queue, jobId]                       → null (dead letters)
  "queueStats", //  key: [queue, counter]                     → number
] as const;

export type DbName = (typeof DB_NAMES)[number];

/** Keys of the `meta` database. */
export const META = {
  schemaVersion: "schemaVersion",
} as const;
