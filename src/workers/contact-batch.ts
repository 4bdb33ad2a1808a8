import { ContactPacker, type GeoFields } from "../storage/contact-pack.ts";

/**
 * A chunk's contacts as the writer wants them: one entry per distinct phone (the first row wins), in key order,
 * with prebuilt LMDB keys and packed values, so the single writer only copies bytes. Later rows repeating a
 * phone of the same chunk are listed in `repeats` (the writer counts them as suppressed or duplicate).
 */
export interface ContactRows {
  /**
   * Concatenated keys, `keyPrefix` + phone; entry i is keys[keyEnds[i-1] .. keyEnds[i]). No array of phone
   * strings travels beside them: cloning 10,000 strings to the writer (and on) cost more than the writer reading
   * back the few it needs (services/import-runs.ts `phoneOf`).
   */
  keys: Uint8Array;
  keyEnds: Uint32Array;
  /** Concatenated msgpack values, same order. */
  values: Uint8Array;
  valueEnds: Uint32Array;
  repeats: string[];
}

/**
 * The buffers behind a chunk's rows, to move them to the writer thread instead of copying them (a 10,000-row
 * chunk is ~2.5 MB; copied parse worker → main → writer, the copies' garbage piled up faster than the threads
 * collected it: a 50M import peaked at 1,572 MiB).
 */
export function rowBuffers(rows: ContactRows): ArrayBuffer[] {
  return [...new Set([rows.keys.buffer, rows.keyEnds.buffer, rows.values.buffer, rows.valueEnds.buffer] as ArrayBuffer[])];
}

/** Collects a chunk's valid rows, then sorts them and lays them out as ContactRows. */
export class ContactBatch {
  private readonly packer: ContactPacker;
  private phones: string[] = [];
  private rows: string[][] = [];
  private geos: GeoFields[] = [];
  private seen = new Set<string>();
  private repeats: string[] = [];

  /** `keyPrefix`: the bytes every contact key of the list starts with (storage/contacts.ts `contactKeyPrefix`). */
  constructor(fields: string[], phoneIndex: number, private readonly keyPrefix: Uint8Array) {
    this.packer = new ContactPacker(fields, phoneIndex);
  }

  reset(): void {
    this.phones = [];
    this.rows = [];
    this.geos = [];
    this.seen = new Set();
    this.repeats = [];
  }

  add(phone: string, row: string[], geo: GeoFields): void {
    if (this.seen.has(phone)) {
      this.repeats.push(phone);
      return;
    }
    this.seen.add(phone);
    this.phones.push(phone);
    this.rows.push(row);
    this.geos.push(geo);
  }

  /**
   * The rows in key order (keys sorted within a batch go into the B-tree with far fewer page touches). Values are
   * packed here, already in that order: one copy out of the packer's buffer instead of one per row.
   */
  take(): ContactRows {
    const n = this.phones.length;
    const order = keyOrder(this.phones);
    const prefix = this.keyPrefix;
    let keyBytes = 0;
    for (const p of this.phones) keyBytes += prefix.length + p.length;
    const keys = new Uint8Array(keyBytes);
    const keyEnds = new Uint32Array(n);
    const valueEnds = new Uint32Array(n);
    const packer = this.packer;
    packer.reset();
    let k = 0;
    for (let j = 0; j < n; j++) {
      const i = order[j]!;
      const phone = this.phones[i]!;
      keys.set(prefix, k);
      k += prefix.length;
      for (let c = 0; c < phone.length; c++) keys[k++] = phone.charCodeAt(c);
      keyEnds[j] = k;
      packer.add(this.rows[i]!, this.geos[i]!);
      valueEnds[j] = packer.length;
    }
    return { keys, keyEnds, values: new Uint8Array(packer.view()), valueEnds, repeats: this.repeats };
  }
}

/**
 * Indexes of distinct E.164 `phones` in byte order. "+" and 8–15 digits map exactly and order-preservingly to a
 * double (digits padded to 15, times 8, plus length - 8), so a native typed-array sort does the work; any other
 * length falls back to comparing strings.
 */
function keyOrder(phones: string[]): Uint32Array {
  const n = phones.length;
  const keys = new Float64Array(n);
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const p = phones[i]!;
    const digits = p.length - 1;
    if (digits < 8 || digits > 15) return stringOrder(phones);
    let v = 0;
    for (let c = 1; c < p.length; c++) {
      const d = p.charCodeAt(c) - 48;
      if (d < 0 || d > 9) return stringOrder(phones);
      v = v * 10 + d;
    }
    for (let c = digits; c < 15; c++) v *= 10;
    v = v * 8 + (digits - 8);
    keys[i] = v;
    index.set(v, i);
  }
  keys.sort();
  const order = new Uint32Array(n);
  for (let j = 0; j < n; j++) order[j] = index.get(keys[j]!)!;
  return order;
}

function stringOrder(phones: string[]): Uint32Array {
  const order = Uint32Array.from(phones.keys());
  return order.sort((a, b) => (phones[a]! < phones[b]! ? -1 : phones[a]! > phones[b]! ? 1 : 0));
}
