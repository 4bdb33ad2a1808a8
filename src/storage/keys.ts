/**
 * Every LMDB database and key layout Pombo uses, one documented line each.
 * Keys are arrays, ordered element by element; tenant-owned records start with
 * the company id, so one company's data is one key range and isolation is structural.
 * Values are msgpack (lmdb's default) records carrying `v`, their schema version.
 *
 * Jobs accepted but not yet moved into the queue live outside LMDB, in the journal (`dataDir/journal`,
 * storage/journal.ts): records numbered in increasing order, each the entries [name, queue, data, maxAttempts,
 * key, runAt] accepted in one event-loop turn. `queueStats` ["", "inboxMark"] in this environment is the highest
 * record number already moved, written in the transaction that moves it, so a crash between the move and the
 * journal's release moves nothing twice.
 */
export const DB_NAMES = [
  "meta", //        key: string                              → schema version and other process-wide facts; ["dispatchedUntil", accountId] → ms until which the account's dispatched send jobs are spread (services/dispatch.ts)
  "companies", //   key: companyId                            → Company
  "companyNames", //key: lower(name)                          → companyId
  "users", //       key: userId                               → User
  "userEmails", //  key: lower(email)                         → userId
  "companyUsers", //key: [companyId, userId]                  → true (members of a company)
  "sessions", //    key: sha256(session token) hex            → Session
  "userSessions", //key: [userId, sha256(session token) hex]  → expiresAt (a user's sessions: ended together on a password change or removal; written with `sessions`)
  "tokens", //      key: sha256(api token) hex                → ApiToken
  "companyTokens", //key: [companyId, tokenId]                → sha256 hex of the token
  "jobs", //        key: jobSeq (number; the job id is its decimal string) → JobTuple (queue/job-record.ts) of a delayed job: runAt in the future
  "jobsReady", //   key: [queue, jobSeq]                      → JobTuple of a due job; run oldest jobSeq first; leases are in memory
  "jobsDue", //     key: [runAt, jobSeq]                      → queue name (when each job in `jobs` becomes due; moved to jobsReady then)
  "jobKeys", //     key: idempotency key                      → jobSeq (held while the job exists: removed on completion or discard)
  "jobsDead", //    key: [queue, jobSeq]                      → JobTuple with lastError and deadAt (dead letters)
  "queueStats", //  key: [queue, counter]                     → number: "ready" | "delayed" | "dead" | "completed", changed in the same txn; ["", "seq"] → next jobSeq
  "lists", //       key: [companyId, listId]                  → ContactList (name, contact count, deleting flag)
  "contacts", //    key: [companyId, listId, phone E.164]     → raw msgpack bytes of ContactRecord {fields, geo} (binary db), packed by import workers
  "imports", //     key: [companyId, importId]                → ImportRecord (status, counters and resume checkpoint, updated with each batch)
  "importErrors", //key: [companyId, importId, line]          → [reason, raw] (rejected rows, for errors.csv)
  "importTotals", //key: outcome | "running"                  → number: rows of every import so far by outcome ("imported" | "duplicates" | "invalid" | "suppressed"), and imports now running; changed with the import record (putImportSync), for /metrics
  "geo", //         key: E.164 digit prefix | "version"       → GeoNode [hasLonger, region, city, timezone, carrier] resolved by longest prefix; "version" → build stamp
  "accounts", //    key: [companyId, accountId]               → Account (provider connection; secret config fields encrypted)
  "accountIndex", //key: accountId                            → companyId (webhooks arrive with the account id only)
  "numbers", //     key: [companyId, accountId, e164]         → PhoneNumber (sender number: type, mps override)
  "settings", //    key: [companyId, name]                    → a company setting record, e.g. [c, "compliance"] → ComplianceSettings
  "keywords", //    key: [companyId, keywordId]               → Keyword (upper-cased word → auto-reply)
  "suppressions", //key: [companyId, e164]                    → Suppression {reason, at}
  "webhookEndpoints", //key: [companyId, endpointId]          → WebhookEndpoint (secret encrypted)
  "campaigns", //   key: [companyId, campaignId]              → Campaign (status, template, lists, generation cursor)
  "campaignCounts", //key: [campaignId, counter]              → number: a status name, "total", "skip:<reason>", "missingFields"; changed in the same txn as what it counts
  "runningCampaigns", //key: [accountId, campaignId]          → companyId (what the minute tick serves)
  "messages", //    key: messageId                            → Message (one store; status is a field; a campaign message's id starts with its phone's slot, so dispatch order is key order: ids.ts)
  "campaignMessages", //key: [campaignId, phone]              → messageId (one message per phone per campaign; listing)
  "companyMessages", //key: [companyId, listingKey]           → messageId, or null when it equals listingKey (newest-first listing: messageListingKey is time-ordered)
  "phoneMessages", //key: [companyId, phone, listingKey]      → messageId or null, as above (a number's conversation)
  "pendingIndex", //key: [campaignId, timezone, rand, messageId] → null (pending messages; rand is the phone's slot, a hash, so a range read from a random point is a random sample; tz lets quiet hours skip whole zones)
  "pendingZones", //key: [campaignId, timezone]               → number of pending messages in that zone
  "providerIds", // key: [accountId, providerId]              → messageId (ties delivery reports back)
  "recipients", //  key: [companyId, slot, phone]             → RecipientState (last campaign send for the frequency cap, last messages sent for replies; slot: recipients.ts)
  "inbound", //     key: [companyId, inboundId]               → InboundMessage (replies; ids time-ordered)
  "phoneInbound", //key: [companyId, phone, inboundId]        → null (a number's replies)
  "inboundProviderIds", //key: [accountId, providerId]        → inboundId (a webhook delivered twice is stored once)
  "inboundParts", //key: [accountId, from, to, ref, total]    → PartSet (parts of a concatenated reply until all arrived, then kept PART_KEEP_MS to recognise resent parts; storage/inbound-parts.ts)
  "webhookDeliveries", //key: [companyId, endpointId, deliverySeq] → WebhookDelivery (delivery log; seq = the webhook.deliver job's seq, so newest last; capped per endpoint)
  "webhookDeliveryCounts", //key: [companyId, endpointId]     → number of webhookDeliveries entries of the endpoint (pruning without counting)
  "statsMinutes", //key: [companyId, minuteEpoch, kind]       → number: "sent" | "delivered" | "failed" | "replies" | "optOuts" in that minute (floor(ms/60000)); bumped in the same txn as the change; kept STATS_RETENTION_DAYS (services/stats-retention.ts), older minutes pruned by the minute tick
  "campaignMinutes", //key: [campaignId, minuteEpoch, kind] → number: "sent" | "delivered" | "failed" of one campaign in that minute; bumped in the same txn as the change; kept for the campaign's life (a campaign sends for days at most)
] as const;

export type DbName = (typeof DB_NAMES)[number];

/**
 * Per-database open options. `contacts` stores the workers' msgpack bytes as they are (`encoding: "binary"`):
 * the writer copies them without a msgpack bin wrapper, and readers decode with `unpackContact`.
 */
export const DB_OPTIONS: Partial<Record<DbName, { encoding: "binary" }>> = {
  contacts: { encoding: "binary" },
};

/** Keys of the `meta` database. */
export const META = {
  schemaVersion: "schemaVersion",
} as const;
