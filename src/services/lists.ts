import type { Deps } from "../deps.ts";
import { DomainError, notFound } from "../domain/errors.ts";
import type { Storage } from "../storage/db.ts";
import { newId } from "../storage/ids.ts";
import { getList, getListRecord, putListSync, type ContactList } from "../storage/lists.ts";

/** Job that removes a deleted list's contacts in batches: data `{companyId, listId}`. */
export const LIST_DELETE_JOB = "list.delete";
/** Contacts removed per transaction when a list is deleted. */
export const DELETE_BATCH = 10_000;

/** The public shape of a list. */
export function listView(l: ContactList) {
  return { id: l.id, name: l.name, contacts: l.contacts, createdAt: new Date(l.createdAt).toISOString() };
}

/**
 * Creates an empty list.
 * @throws DomainError invalid when the name is blank or longer than 200 characters.
 */
export function createList(deps: Pick<Deps, "storage" | "clock">, companyId: string, name: string): ContactList {
  const clean = String(name ?? "").trim();
  if (!clean || clean.length > 200) throw new DomainError("invalid", "invalid_list_name", "a list needs a name of 1 to 200 characters");
  const list: ContactList = { v: 1, id: newId(), name: clean, createdAt: deps.clock.now(), contacts: 0 };
  deps.storage.env.transactionSync(() => putListSync(deps.storage, companyId, list));
  return list;
}

/**
 * Renames a list.
 * @throws DomainError not_found, invalid.
 */
export function renameList(deps: Pick<Deps, "storage">, companyId: string, listId: string, name: string): ContactList {
  const clean = String(name ?? "").trim();
  if (!clean || clean.length > 200) throw new DomainError("invalid", "invalid_list_name", "a list needs a name of 1 to 200 characters");
  let out: ContactList | undefined;
  deps.storage.env.transactionSync(() => {
    const list = getList(deps.storage, companyId, listId);
    if (!list) return;
    out = { ...list, name: clean };
    putListSync(deps.storage, companyId, out);
  });
  if (!out) throw notFound("list");
  return out;
}

/**
 * Deletes a list: it disappears from the API at once; its contacts go in batches by a queued job.
 * @throws DomainError not_found.
 */
export function deleteList(deps: Pick<Deps, "storage" | "queue">, companyId: string, listId: string): void {
  let found = false;
  deps.storage.env.transactionSync(() => {
    const list = getList(deps.storage, companyId, listId);
    if (!list) return;
    found = true;
    putListSync(deps.storage, companyId, { ...list, deleting: true });
    deps.queue.enqueueSync({ name: LIST_DELETE_JOB, data: { companyId, listId }, queue: "imports", key: `list-delete:${listId}` });
  });
  if (!found) throw notFound("list");
}

/**
 * Removes up to `batch` contacts of a list being deleted, in one transaction; removes the list record with the
 * last batch. Returns true when the list is fully gone. Safe to re-run; does nothing for a list not being deleted.
 */
export function deleteListBatch(s: Storage, companyId: string, listId: string, batch = DELETE_BATCH): boolean {
  let done = false;
  s.env.transactionSync(() => {
    const list = getListRecord(s, companyId, listId);
    if (!list?.deleting) {
      done = true;
      return;
    }
    const contacts = s.db("contacts");
    const keys = [...contacts.getKeys({ start: [companyId, listId], end: [companyId, listId, "\uffff"], limit: batch })];
    for (const key of keys) contacts.removeSync(key);
    if (keys.length < batch) {
      s.db("lists").removeSync([companyId, listId]);
      done = true;
    }
  });
  return done;
}

/** Runs a list deletion to the end, yielding to the event loop between batches so requests stay fast. */
export async function runListDeletion(deps: Pick<Deps, "storage">, companyId: string, listId: string): Promise<void> {
  while (!deleteListBatch(deps.storage, companyId, listId)) await new Promise((r) => setImmediate(r));
}
