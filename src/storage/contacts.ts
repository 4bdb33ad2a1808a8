import { pack, unpack } from "msgpackr";
import type { GeoInfo } from "../domain/geo.ts";
import type { Storage } from "./db.ts";

/**
 * A contact on a list, as import workers pack it (msgpack bytes stored as the value, so the single writer
 * only copies them): custom fields from the CSV and the geo enrichment.
 */
export interface ContactRecord {
  v: 1;
  fields: Record<string, string>;
  geo: GeoInfo;
}

/** A contact as the API shows it. */
export interface Contact {
  phone: string;
  fields: Record<string, string>;
  geo: GeoInfo;
}

/** Packs a contact record into the bytes stored in `contacts` (used by workers). */
export function packContact(rec: ContactRecord): Uint8Array {
  return pack(rec);
}

/** Decodes a stored contact value. */
export function unpackContact(phone: string, value: Uint8Array): Contact {
  const r = unpack(value) as ContactRecord;
  return { phone, fields: r.fields, geo: r.geo };
}

/** One contact of a list, or undefined. */
export function getContact(s: Storage, companyId: string, listId: string, phone: string): Contact | undefined {
  const v = s.db("contacts").get([companyId, listId, phone]);
  return v ? unpackContact(phone, v) : undefined;
}

/** A page of a list's contacts in phone order; `cursor` is the last phone of the previous page. */
export function listContacts(s: Storage, companyId: string, listId: string, limit: number, cursor?: string): { items: Contact[]; next?: string } {
  const items: Contact[] = [];
  const start = cursor ? [companyId, listId, cursor] : [companyId, listId];
  for (const { key, value } of s.db("contacts").getRange({ start, end: [companyId, listId, "\uffff"] })) {
    const phone = (key as string[])[2]!;
    if (phone === cursor) continue;
    if (items.length === limit) return { items, next: items[items.length - 1]!.phone };
    items.push(unpackContact(phone, value));
  }
  return { items };
}

/**
 * Ids of the company's lists that hold `phone`: one read per list of the company (lists are few; a per-phone
 * index would cost every imported row a second write).
 */
export function listsOfPhone(s: Storage, companyId: string, phone: string): string[] {
  const contacts = s.db("contacts");
  const ids: string[] = [];
  for (const { value } of s.db("lists").getRange({ start: [companyId], end: [companyId, "\uffff"] })) {
    if (!value.deleting && contacts.doesExist([companyId, value.id, phone])) ids.push(value.id);
  }
  return ids;
}
