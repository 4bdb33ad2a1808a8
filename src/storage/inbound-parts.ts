import type { Storage } from "./db.ts";

/** Identifies one concatenated reply: the account, the sender, our number, the sender's reference and the part count. */
export type PartSetKey = [accountId: string, from: string, to: string, ref: number, total: number];

/** One stored part. Text is UTF-16LE bytes: msgpack would turn half a surrogate pair (split across parts) into U+FFFD. */
export interface StoredPart {
  seq: number;
  providerId: string;
  at: number;
  text: Uint8Array;
}

/** The parts of one concatenated reply received so far (layout in keys.ts, `inboundParts`). */
export interface PartSet {
  v: 1;
  /** When the first part was stored (our clock): an incomplete set is given up on PART_WAIT_MS after this. */
  firstAt: number;
  /** When the reply was stored (complete, or given up on); the set is kept a while to recognise resent parts. */
  doneAt?: number;
  /** Sorted by seq, one per seq. */
  parts: StoredPart[];
}

/** Text as stored in a part (lossless for any JS string). */
export const packPartText = (text: string): Uint8Array => Buffer.from(text, "utf16le");
/** The reverse of `packPartText`. */
export const unpackPartText = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf16le");

export function getPartSet(s: Storage, key: PartSetKey): PartSet | undefined {
  return s.db("inboundParts").get(key);
}

/** Writes a set. Call inside a write transaction. */
export function putPartSetSync(s: Storage, key: PartSetKey, set: PartSet): void {
  s.db("inboundParts").putSync(key, set);
}

/** Removes a set. Call inside a write transaction. */
export function removePartSetSync(s: Storage, key: PartSetKey): void {
  s.db("inboundParts").removeSync(key);
}

/** Every stored set, in key order (the database holds only sets from the last day or two). */
export function* listPartSets(s: Storage): Generator<{ key: PartSetKey; set: PartSet }> {
  for (const { key, value } of s.db("inboundParts").getRange()) yield { key: key as PartSetKey, set: value as PartSet };
}
