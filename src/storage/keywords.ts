import type { Storage } from "./db.ts";

/** A reply keyword: an inbound message equal to `keyword` (trimmed, case-insensitive) gets `reply` back. Layout in keys.ts. */
export interface Keyword {
  v: 1;
  id: string;
  companyId: string;
  /** Upper-cased, one word. */
  keyword: string;
  reply: string;
  createdAt: number;
}

/** A company's keywords, oldest first. */
export function listKeywords(s: Storage, companyId: string): Keyword[] {
  return [...s.db("keywords").getRange({ start: [companyId], end: [companyId, "\uffff"] }).map(({ value }) => value as Keyword)];
}

/** One keyword of one company, or undefined. */
export function getKeyword(s: Storage, companyId: string, id: string): Keyword | undefined {
  return s.db("keywords").get([companyId, id]);
}

/** Writes a keyword; call inside the caller's `transactionSync`. */
export function putKeywordSync(s: Storage, k: Keyword): void {
  s.db("keywords").putSync([k.companyId, k.id], k);
}

/** Removes a keyword; returns false when it was not there. */
export async function removeKeyword(s: Storage, companyId: string, id: string): Promise<boolean> {
  return s.db("keywords").remove([companyId, id]);
}
