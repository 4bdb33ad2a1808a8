/*
 * A hand-written msgpack writer for the import's hot loop: it appends `{v: 1, fields, geo}` (the ContactRecord
 * stored in `contacts`) for each row into one growing buffer. The bytes are plain msgpack (maps of str → str), so
 * `unpackContact` reads them like msgpackr's own; the column names and each distinct geo answer are encoded once,
 * not per row (msgpackr's `pack` per row was ~40% of a worker's time).
 */
/** The stored geo of a contact (GeoInfo's fields). */
export interface GeoFields {
  country: string;
  region: string;
  city: string;
  timezone: string;
  carrier: string;
}

/**
 * One scratch buffer per thread, shared by packers: a packer writes it between `reset` and `take` within one
 * synchronous worker task, so a new chunk does not allocate (and leave for the GC) another megabyte.
 */
let scratch = Buffer.allocUnsafe(1 << 20);

export class ContactPacker {
  private buf = scratch;
  /** Bytes written so far: the next value starts here. */
  length = 0;
  private readonly names: (Uint8Array | undefined)[];
  private readonly geoCache = new Map<GeoFields, Uint8Array>();

  /** `fields` are the file's column names; the column at `phoneIndex` is not stored as a field. */
  constructor(fields: string[], private readonly phoneIndex: number) {
    this.names = fields.map((f, i) => (i === phoneIndex ? undefined : encodeStr(f)));
  }

  /** Starts over (the previous bytes are released to the caller of `take`). */
  reset(): void {
    this.buf = scratch;
    this.length = 0;
  }

  /**
   * Appends one record: the row's fields (by column) and its geo. The geo bytes are cached by object identity,
   * so pass the same object for the same answer (GeoLookup.answer does).
   */
  add(row: string[], geo: GeoFields): void {
    const n = Math.min(row.length, this.names.length);
    const count = n - (this.phoneIndex < n ? 1 : 0);
    this.reserve(16);
    const b = this.buf;
    let p = this.length;
    b[p++] = 0x83; // {v, fields, geo}
    b[p++] = 0xa1; b[p++] = 0x76; b[p++] = 0x01; // "v": 1
    b[p++] = 0xa6; b[p++] = 0x66; b[p++] = 0x69; b[p++] = 0x65; b[p++] = 0x6c; b[p++] = 0x64; b[p++] = 0x73; // "fields"
    if (count < 16) b[p++] = 0x80 | count;
    else (b[p++] = 0xde), (b[p++] = count >> 8), (b[p++] = count & 0xff);
    this.length = p;
    for (let i = 0; i < n; i++) {
      const name = this.names[i];
      if (name === undefined) continue;
      this.bytes(name);
      this.str(row[i]!);
    }
    let g = this.geoCache.get(geo);
    if (g === undefined) {
      g = encodeGeo(geo);
      if (this.geoCache.size > 50_000) this.geoCache.clear();
      this.geoCache.set(geo, g);
    }
    this.bytes(g);
  }

  /** The bytes written since the last reset: a view of the scratch buffer, valid until the next reset or add. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private bytes(src: Uint8Array): void {
    this.reserve(src.length);
    this.buf.set(src, this.length);
    this.length += src.length;
  }

  /**
   * A msgpack str, written by Buffer's native UTF-8 writer just past a header sized for `s.length` bytes (the
   * fewest its UTF-8 can take); when the bytes turn out to need a longer header, they move up to make room.
   */
  private str(s: string): void {
    const n = s.length;
    this.reserve(n * 3 + 5);
    const b = this.buf;
    const at = this.length;
    const guess = n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
    const len = (b as Buffer & { utf8Write(s: string, offset: number): number }).utf8Write(s, at + guess);
    const head = len < 32 ? 1 : len < 256 ? 2 : len < 65536 ? 3 : 5;
    if (head !== guess) b.copyWithin(at + head, at + guess, at + guess + len);
    writeStrHead(b, at, len, head);
    this.length = at + head + len;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    if (next.length <= 16 << 20) scratch = next;
  }
}

function writeStrHead(b: Buffer, at: number, len: number, head: number): void {
  if (head === 1) b[at] = 0xa0 | len;
  else if (head === 2) (b[at] = 0xd9), (b[at + 1] = len);
  else if (head === 3) (b[at] = 0xda), (b[at + 1] = len >> 8), (b[at + 2] = len & 0xff);
  else (b[at] = 0xdb), b.writeUInt32BE(len, at + 1);
}

function encodeStr(s: string): Uint8Array {
  const p = new ContactPackerScratch();
  p.s(s);
  return p.done();
}

/** `"geo": {country, region, city, timezone, carrier}` as msgpack bytes. */
function encodeGeo(geo: GeoFields): Uint8Array {
  const p = new ContactPackerScratch();
  p.s("geo");
  p.raw(0x85);
  for (const k of ["country", "region", "city", "timezone", "carrier"] as const) {
    p.s(k);
    p.s(geo[k]);
  }
  return p.done();
}

/** Small one-off encodings (names, geo answers); not on the per-row path. */
class ContactPackerScratch {
  private parts: Uint8Array[] = [];
  s(v: string): void {
    const bytes = Buffer.from(v, "utf8");
    const len = bytes.length;
    const head = len < 32 ? 1 : len < 256 ? 2 : len < 65536 ? 3 : 5;
    const h = Buffer.alloc(head);
    writeStrHead(h, 0, len, head);
    this.parts.push(h, bytes);
  }
  raw(byte: number): void {
    this.parts.push(Uint8Array.of(byte));
  }
  done(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}
