/**
 * Reply keywords: created and deleted here (the only writer), looked up per inbound message from a
 * per-company in-memory map that every write here invalidates.
 */
import type { Deps } from "../deps.ts";
import { isReservedWord, normalizeWord } from "../domain/compliance-settings.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import type { Storage } from "../storage/db.ts";
import { newId } from "../storage/ids.ts";
import { getKeyword, listKeywords, putKeywordSync, removeKeyword, type Keyword } from "../storage/keywords.ts";
import { getComplianceSettings } from "./compliance.ts";

const cache = new WeakMap<Storage, Map<string, ReadonlyMap<string, Keyword>>>();

function companyCache(storage: Storage): Map<string, ReadonlyMap<string, Keyword>> {
  let m = cache.get(storage);
  if (!m) cache.set(storage, (m = new Map()));
  return m;
}

/** The keyword an inbound text triggers (trimmed, case-insensitive, whole message), or undefined. */
export function findKeyword(storage: Storage, companyId: string, text: string): Keyword | undefined {
  const m = companyCache(storage);
  let words = m.get(companyId);
  if (!words) {
    words = new Map(listKeywords(storage, companyId).map((k) => [k.keyword, k]));
    m.set(companyId, words);
  }
  return words.get(normalizeWord(text));
}

/**
 * Adds a keyword (stored upper-cased).
 * @throws DomainError invalid (not one word, or a stop/START/HELP word), conflict (already a keyword).
 */
export async function createKeyword(deps: Pick<Deps, "storage" | "clock">, companyId: string, input: { keyword: string; reply: string }): Promise<Keyword> {
  const word = normalizeWord(input.keyword);
  if (!/^\S{1,50}$/.test(word)) throw new DomainError("invalid", "invalid_keyword", "keyword must be one word of at most 50 characters");
  if (isReservedWord(word) || getComplianceSettings(deps.storage, companyId).stopWords.includes(word)) {
    throw new DomainError("invalid", "reserved_keyword", `"${word}" is a stop, START or HELP word and cannot be a keyword`);
  }
  const reply = input.reply.trim();
  if (!reply) throw new DomainError("invalid", "invalid_reply", "reply must not be empty");
  const rec: Keyword = { v: 1, id: newId(), companyId, keyword: word, reply, createdAt: deps.clock.now() };
  deps.storage.env.transactionSync(() => {
    if (listKeywords(deps.storage, companyId).some((k) => k.keyword === word)) {
      throw new DomainError("conflict", "keyword_exists", `"${word}" is already a keyword`);
    }
    putKeywordSync(deps.storage, rec);
  });
  companyCache(deps.storage).delete(companyId);
  return rec;
}

/** Deletes a keyword. @throws DomainError not_found. */
export async function deleteKeyword(deps: Pick<Deps, "storage">, companyId: string, id: string): Promise<void> {
  if (!getKeyword(deps.storage, companyId, id)) throw notFound("keyword");
  await removeKeyword(deps.storage, companyId, id);
  companyCache(deps.storage).delete(companyId);
}
