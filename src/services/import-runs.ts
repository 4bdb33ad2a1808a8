import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ContactRows } from "../workers/contact-batch.ts";

/**
 * Sorted runs: an import's contacts on disk in phone order, so that they reach LMDB in key order.
 *
 * Why: real lists are not sorted by phone. Put in file order, every row of a big list lands on a different
 * B-tree page, so each 10,000-row commit copied and wrote ~10,000 pages (1M shuffled rows: 48k rows/s against
 * 123k for the same rows in the generator's order, and slower the bigger the list grows). Phase one sorts each
 * ~250,000 rows in memory and writes them as one run; phase two merges the runs and writes the contacts in key
 * order, each page touched about once.
 *
 * A run is frames of: u8 phone length, u32 value length (LE), the phone's bytes, the packed contact.
 */
const HEAD = 5;

/** Where an import's runs live (removed when the import ends). */
export const runsDir = (dataDir: string, importId: string) => join(dataDir, "import-runs", importId);
export const runPath = (dir: string, n: number) => join(dir, `${n}.run`);

/** One sorted source of contacts, positioned on its current entry (phone and value as byte ranges). */
export interface Cursor {
  /** Source order: on equal phones the lower one comes first (earlier in the file). */
  readonly order: number;
  kbuf: Uint8Array;
  phone: number;
  phoneLen: number;
  vbuf: Uint8Array;
  value: number;
  valueLen: number;
  /** Moves to the next entry; false (and nothing current) at the end. */
  next(): boolean;
}

/** What every cursor holds: its current entry's byte ranges. */
abstract class Entry {
  phone = 0;
  phoneLen = 0;
  value = 0;
  valueLen = 0;

  constructor(
    readonly order: number,
    public kbuf: Uint8Array,
    public vbuf: Uint8Array,
  ) {}
}

/** A chunk's contacts (keys = the list's key prefix + phone) as a cursor. */
export class RowsCursor extends Entry implements Cursor {
  private i = -1;

  constructor(
    order: number,
    private readonly rows: ContactRows,
    private readonly prefixLength: number,
  ) {
    super(order, rows.keys, rows.values);
  }

  next(): boolean {
    const i = ++this.i;
    const { keyEnds, valueEnds } = this.rows;
    if (i >= keyEnds.length) return false;
    const keyStart = i === 0 ? 0 : keyEnds[i - 1]!;
    this.phone = keyStart + this.prefixLength;
    this.phoneLen = keyEnds[i]! - this.phone;
    this.value = i === 0 ? 0 : valueEnds[i - 1]!;
    this.valueLen = valueEnds[i]! - this.value;
    return true;
  }
}

/** Reads a run file from a byte offset, frame by frame, through one buffer. */
export class RunReader extends Entry implements Cursor {
  /** File offset of buf[0]. */
  private base: number;
  /** Bytes of buf holding file data. */
  private len = 0;
  /** Start of the current frame in buf; its size (0 before the first). */
  private at = 0;
  private size = 0;
  private fd: number | undefined;

  constructor(
    order: number,
    path: string,
    from: number,
    private buf = new Uint8Array(256 * 1024),
  ) {
    super(order, buf, buf);
    this.base = from;
    this.fd = openSync(path, "r");
  }

  /** File offset of the current entry (of the end once exhausted): where a resume reads on. */
  get offset(): number {
    return this.base + this.at;
  }

  next(): boolean {
    this.at += this.size;
    this.size = 0;
    if (!this.fill(HEAD)) return false;
    const b = this.buf;
    const phoneLen = b[this.at]!;
    const valueLen = (b[this.at + 1]! | (b[this.at + 2]! << 8) | (b[this.at + 3]! << 16)) + b[this.at + 4]! * 2 ** 24;
    this.fill(HEAD + phoneLen + valueLen);
    this.size = HEAD + phoneLen + valueLen;
    this.phone = this.at + HEAD;
    this.phoneLen = phoneLen;
    this.value = this.phone + phoneLen;
    this.valueLen = valueLen;
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Makes `n` bytes from the current frame's start available; false at a clean end of file. @throws Error mid-frame. */
  private fill(n: number): boolean {
    if (this.at + n <= this.len) return true;
    if (this.fd === undefined) return false;
    const rest = this.len - this.at;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.at, this.len));
      this.buf = this.kbuf = this.vbuf = bigger;
    } else this.buf.copyWithin(0, this.at, this.len);
    this.base += this.at;
    this.at = 0;
    this.len = rest;
    while (this.len < n) {
      const got = readSync(this.fd, this.buf, this.len, this.buf.length - this.len, this.base + this.len);
      if (got === 0) break;
      this.len += got;
    }
    if (this.len >= n) return true;
    if (this.len > 0) throw new Error("import run: truncated frame");
    this.close();
    return false;
  }
}

/** Merges sorted cursors: `top` is the least current entry (ties: lowest `order`); `advance` moves past it. */
export class Merge {
  private readonly heap: Cursor[] = [];

  constructor(cursors: Cursor[]) {
    for (const c of cursors) if (c.next()) this.heap.push(c);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get top(): Cursor | undefined {
    return this.heap[0];
  }

  advance(): void {
    const h = this.heap;
    if (!h[0]!.next()) {
      const last = h.pop()!;
      if (h.length === 0) return;
      h[0] = last;
    }
    this.down(0);
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const c = h[i]!;
    for (;;) {
      let m = 2 * i + 1;
      if (m >= n) break;
      if (m + 1 < n && before(h[m + 1]!, h[m]!)) m++;
      if (!before(h[m]!, c)) break;
      h[i] = h[m]!;
      i = m;
    }
    h[i] = c;
  }
}

/** Byte order of the phones, then source order. */
function before(a: Cursor, b: Cursor): boolean {
  const d = comparePhones(a.kbuf, a.phone, a.phoneLen, b.kbuf, b.phone, b.phoneLen);
  return d !== 0 ? d < 0 : a.order < b.order;
}

function comparePhones(x: Uint8Array, xs: number, xn: number, y: Uint8Array, ys: number, yn: number): number {
  const n = Math.min(xn, yn);
  for (let i = 0; i < n; i++) {
    const d = x[xs + i]! - y[ys + i]!;
    if (d !== 0) return d;
  }
  return xn - yn;
}

/** The phone of the cursor's current entry as a string. */
export function phoneOf(c: Cursor): string {
  return String.fromCharCode(...c.kbuf.subarray(c.phone, c.phone + c.phoneLen));
}

/**
 * Writes chunks' contacts merged into run `n` of `dir`, each phone once (the earliest chunk's row wins). The
 * file is complete and synced under its final name when this returns. Returns the phones left out as repeats.
 */
export function writeRun(dir: string, n: number, chunks: ContactRows[], prefixLength: number): string[] {
  mkdirSync(dir, { recursive: true });
  const path = runPath(dir, n);
  const fd = openSync(`${path}.tmp`, "w");
  const out = new Uint8Array(1024 * 1024);
  const view = new DataView(out.buffer);
  const last = new Uint8Array(256);
  let lastLen = -1;
  let used = 0;
  const repeats: string[] = [];
  const flush = () => {
    for (let off = 0; off < used; ) off += writeSync(fd, out, off, used - off);
    used = 0;
  };
  try {
    const merge = new Merge(chunks.map((rows, i) => new RowsCursor(i, rows, prefixLength)));
    for (let c = merge.top; c; merge.advance(), c = merge.top) {
      if (comparePhones(c.kbuf, c.phone, c.phoneLen, last, 0, lastLen) === 0) {
        repeats.push(phoneOf(c));
        continue;
      }
      // Phones are a few bytes: copied by hand (a subarray per copy was a third of this loop's time).
      const { kbuf, phone, phoneLen } = c;
      for (let i = 0; i < phoneLen; i++) last[i] = kbuf[phone + i]!;
      lastLen = phoneLen;
      const size = HEAD + phoneLen + c.valueLen;
      if (used + size > out.length) flush();
      if (size > out.length) {
        writeFrame(fd, c);
        continue;
      }
      out[used] = phoneLen;
      view.setUint32(used + 1, c.valueLen, true);
      for (let i = 0; i < phoneLen; i++) out[used + HEAD + i] = kbuf[phone + i]!;
      out.set(c.vbuf.subarray(c.value, c.value + c.valueLen), used + HEAD + phoneLen);
      used += size;
    }
    flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${path}.tmp`, path);
  syncDir(dir);
  return repeats;
}

/** A frame bigger than the output buffer (a row of many columns), written as it is. */
function writeFrame(fd: number, c: Cursor): void {
  const head = new Uint8Array(HEAD);
  head[0] = c.phoneLen;
  new DataView(head.buffer).setUint32(1, c.valueLen, true);
  writeSync(fd, head);
  writeSync(fd, c.kbuf.subarray(c.phone, c.phone + c.phoneLen));
  writeSync(fd, c.vbuf.subarray(c.value, c.value + c.valueLen));
}

/** The rename survives a power cut once the directory is synced too. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
