import type { Store } from "./db.ts";

/** A contact list. `contacts` changes in the same transaction as the contacts it counts. */
export interface ContactList {
  v: 1;
  id: string;
  name: string;
  createdAt: number;
  contacts: number;
  /** Set when deletion was queued: the list is gone for the API while its contacts are removed in batches. */
  deleting?: boolean;
}

/** The list, or undefined (also while it is being deleted). */
export function getList(s: Store, companyId: string, listId: string): ContactList | undefined {
  const l = s.db("lists").get([companyId, listId]) as ContactList | undefined;
  return l && !l.deleting ? l : undefined;
}

/** The raw record, deleting or not (for the deletion job). */
export function getListRecord(s: Store, companyId: string, listId: string): ContactList | undefined {
  return s.db("lists").get([companyId, listId]);
}

/** Writes a list record; call inside the caller's transaction when it commits with other changes. */
export function putListSync(s: Store, companyId: string, list: ContactList): void {
  s.db("lists").putSync([companyId, list.id], list);
}

/** The company's lists (not being deleted), oldest first (ids are time-ordered). */
export function listLists(s: Store, companyId: string): ContactList[] {
  const out: ContactList[] = [];
  for (const { value } of s.db("lists").getRange({ start: [companyId], end: [companyId, "\uffff"] })) if (!value.deleting) out.push(value);
  return out;
}

/** The company owning a list id, found by scanning lists (for the CLI, which has only the list id). */
export function findListCompany(s: Store, listId: string): string | undefined {
  for (const key of s.db("lists").getKeys()) if ((key as string[])[1] === listId) return (key as string[])[0];
  return undefined;
}
