import type { CountryCode } from "libphonenumber-js/max";
import type { GeoNode } from "../domain/geo.ts";
import { PhoneNormaliser } from "../domain/phone.ts";
import { nextLineStart, readRange } from "./chunk-reader.ts";
import { ContactBatch, type ContactRows } from "./contact-batch.ts";
import { decodeText } from "./csv-format.ts";
import { parseRecords } from "./csv-records.ts";
import { GeoLookup } from "./geo-lookup.ts";
import { workerStore } from "./worker-store.ts";

/** One byte range of an import file for a worker. `sequential` ranges may contain quoted line breaks. */
export interface ChunkTask {
  path: string;
  start: number;
  /** Exclusive end; for a sequential task, the size hint of the window (the worker picks the real end). */
  end: number;
  fileSize: number;
  sequential: boolean;
  delimiter: string;
  fields: string[];
  phoneIndex: number;
  defaultCountry: string;
  /** DATA_DIR: the worker reads the geo table from its LMDB (this task writes nothing). */
  dataDir: string;
  /** Start of every contact key of the list (storage/contacts.ts `contactKeyPrefix`). */
  keyPrefix: Uint8Array;
}

/** Rows of a chunk, ready for the writer: contacts with prebuilt keys and packed values, and rejected rows. */
export interface ChunkResult {
  start: number;
  end: number;
  /** A split (parallel) chunk met a quoted line break: the file must be read sequentially from `start`. */
  unsafe?: true;
  /** Data records seen (valid + rejected). */
  rows: number;
  /** Physical lines consumed (for line numbers of later chunks). */
  lines: number;
  contacts: ContactRows;
  /** [relative line, reason, raw] */
  errors: [number, string, string][];
}

const MAX_ROW_CHARS = 64 * 1024;
const MAX_WINDOW = 32 * 1024 * 1024;
const RAW_LIMIT = 1000;

const lookups = new Map<string, GeoLookup>();
const normalisers = new Map<string, PhoneNormaliser>();

function geoFor(dataDir: string): GeoLookup {
  let g = lookups.get(dataDir);
  if (!g) {
    lookups.clear();
    const geo = workerStore(dataDir).db<GeoNode>("geo");
    g = new GeoLookup((p) => geo.get(p));
    lookups.set(dataDir, g);
  }
  return g;
}

function normaliserFor(country: string): PhoneNormaliser {
  let n = normalisers.get(country);
  if (!n) normalisers.set(country, (n = new PhoneNormaliser(country as CountryCode)));
  return n;
}

/** Piscina entry: parses, normalises and enriches one chunk. Reads only: `commitChunk` writes the result. */
export default function processChunk(task: ChunkTask): ChunkResult {
  const out = new RowSink(task, geoFor(task.dataDir), normaliserFor(task.defaultCountry));
  if (!task.sequential) {
    const { text } = decodeText(readRange(task.path, task.start, task.end));
    const end = parseRecords(text, task.delimiter.charCodeAt(0), false, (f, line, s, e) => out.record(f, line, text, s, e));
    if (end.kind !== "done") return { ...out.result(task.start, task.end, 0), unsafe: true };
    return out.result(task.start, task.end, end.lines);
  }
  return processSequential(task, out);
}

/** Reads a window from `start` that ends on a record boundary, growing it for huge quoted fields. */
function processSequential(task: ChunkTask, out: RowSink): ChunkResult {
  for (let size = Math.max(task.end - task.start, 64 * 1024); ; size *= 2) {
    const readEnd = Math.min(task.fileSize, task.start + size);
    const atEof = readEnd === task.fileSize;
    let bytes = readRange(task.path, task.start, readEnd);
    if (!atEof) {
      const lf = bytes.lastIndexOf(10);
      if (lf < 0 && size < MAX_WINDOW) continue;
      if (lf < 0) return skipHugeLine(task, out, bytes, readEnd);
      bytes = bytes.subarray(0, lf + 1);
    }
    const r = parseWindow(task, out, bytes, atEof || size >= MAX_WINDOW);
    if (r) return r;
  }
}

/** Parses a window; undefined when a quoted field runs past its end and the window should grow. */
function parseWindow(task: ChunkTask, out: RowSink, bytes: Buffer, final: boolean): ChunkResult | undefined {
  const { text, singleByte } = decodeText(bytes);
  const byteAt = (char: number) => task.start + (singleByte ? char : Buffer.byteLength(text.slice(0, char)));
  out.reset();
  let from = 0;
  let lineBase = 0;
  for (;;) {
    const piece = from === 0 ? text : text.slice(from);
    const end = parseRecords(piece, task.delimiter.charCodeAt(0), true, (f, line, s, e) => out.record(f, lineBase + line, piece, s, e));
    if (end.kind === "done") return out.result(task.start, task.start + bytes.length, lineBase + end.lines);
    if (end.kind !== "open_quote") throw new Error("unreachable: quoted line breaks are allowed here");
    const openAt = from + end.recordStart;
    const atFileEnd = task.start + bytes.length === task.fileSize;
    if (!atFileEnd && openAt > 0) return out.result(task.start, byteAt(openAt), lineBase + end.line);
    if (!atFileEnd && !final) return undefined;
    // A quote that never closes (end of file, or a field past the window cap): report its line, go on with the next.
    const nl = text.indexOf("\n", openAt);
    out.error(lineBase + end.line, "unbalanced_quote", text.slice(openAt, nl < 0 ? text.length : nl));
    if (nl < 0) return out.result(task.start, task.start + bytes.length, lineBase + end.line + 1);
    lineBase += end.line + 1;
    from = nl + 1;
  }
}

/** A line longer than the biggest window: one rejected row, and the next chunk starts after it. */
function skipHugeLine(task: ChunkTask, out: RowSink, bytes: Buffer, readEnd: number): ChunkResult {
  out.reset();
  out.error(0, "row_too_long", decodeText(bytes.subarray(0, RAW_LIMIT)).text);
  return out.result(task.start, nextLineStart(task.path, readEnd, task.fileSize), 1);
}

/** Collects a chunk's rows: normalises the phone, looks up geo, packs the contact. */
class RowSink {
  private readonly batch: ContactBatch;
  private errors: [number, string, string][] = [];
  private rows = 0;

  constructor(
    private readonly task: ChunkTask,
    private readonly geo: GeoLookup,
    private readonly phone: PhoneNormaliser,
  ) {
    this.batch = new ContactBatch(task.fields, task.phoneIndex, task.keyPrefix);
  }

  reset(): void {
    this.batch.reset();
    this.errors = [];
    this.rows = 0;
  }

  error(line: number, reason: string, raw: string): void {
    this.rows++;
    this.errors.push([line, reason, raw.length > RAW_LIMIT ? raw.slice(0, RAW_LIMIT) : raw]);
  }

  record(fields: string[] | undefined, line: number, text: string, start: number, end: number): void {
    if (end - start > MAX_ROW_CHARS) return this.error(line, "row_too_long", text.slice(start, start + RAW_LIMIT));
    if (!fields) return this.error(line, "malformed_quotes", text.slice(start, end));
    const raw = fields[this.task.phoneIndex];
    if (raw === undefined || raw.trim() === "") return this.error(line, "missing_phone", text.slice(start, end));
    const p = this.phone.normalise(raw);
    if (!p.ok) return this.error(line, p.reason, text.slice(start, end));
    this.rows++;
    this.batch.add(p.e164, fields, this.geo.answer(p.e164, p.country));
  }

  result(start: number, end: number, lines: number): ChunkResult {
    return { start, end, rows: this.rows, lines, contacts: this.batch.take(), errors: this.errors };
  }
}
