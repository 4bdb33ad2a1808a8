import { parseRecords } from "./csv-records.ts";

/** Text encodings an import file may come in; UTF-16 files are transcoded to UTF-8 before parsing. */
export type FileEncoding = "utf8" | "utf16le" | "utf16be";

/** A file format problem that makes an import fail with this snake_case reason (no retry helps). */
export class FileFormatError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = "FileFormatError";
  }
}

/** How bytes at the start of a file look: encoding (from the BOM or NUL patterns) and BOM length. */
export function detectEncoding(head: Uint8Array): { encoding: FileEncoding; bom: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: "utf8", bom: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf16le", bom: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf16be", bom: 2 };
  let even = 0;
  let odd = 0;
  for (let i = 0; i < head.length; i++) if (head[i] === 0) i % 2 ? odd++ : even++;
  if (even + odd === 0) return { encoding: "utf8", bom: 0 };
  if (odd > head.length / 4 && even === 0) return { encoding: "utf16le", bom: 0 };
  if (even > head.length / 4 && odd === 0) return { encoding: "utf16be", bom: 0 };
  throw new FileFormatError("binary_file", "the file looks binary (NUL bytes), not CSV text");
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const cp1252 = new TextDecoder("windows-1252");

/** Decodes UTF-8, falling back to Windows-1252 when the bytes are not valid UTF-8 (old Excel exports). */
export function decodeText(bytes: Uint8Array): { text: string; singleByte: boolean } {
  try {
    return { text: utf8.decode(bytes), singleByte: false };
  } catch {
    return { text: cp1252.decode(bytes), singleByte: true };
  }
}

const CANDIDATES = [",", ";", "\t", "|"];

/** Picks the delimiter that splits the header (and the next lines) most consistently; `,` for one column. */
export function detectDelimiter(sample: string): string {
  const lines = sample.split(/\r?\n/).filter((l) => l.length > 0).slice(0, 20);
  let best = ",";
  let bestScore = 0;
  for (const d of CANDIDATES) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    const head = counts[0] ?? 0;
    if (head === 0) continue;
    const consistent = counts.filter((c) => c === head).length;
    const score = head * consistent;
    if (score > bestScore) [best, bestScore] = [d, score];
  }
  return best;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === d && !quoted) n++;
  }
  return n;
}

/** The header: column names, the delimiter, and where data starts (char index into `text`, after the header's line end). */
export function readHeader(text: string): { columns: string[]; delimiter: string; dataStart: number } {
  const delimiter = detectDelimiter(text.slice(0, 64 * 1024));
  let columns: string[] | undefined;
  let dataStart = -1;
  const stopAfterFirst = new Error("stop");
  try {
    const end = parseRecords(text, delimiter.charCodeAt(0), true, (fields, _line, _start, endChar) => {
      columns = fields ?? [];
      dataStart = endChar;
      throw stopAfterFirst;
    });
    if (end.kind === "open_quote") throw new FileFormatError("unbalanced_quotes", "the header row has an unbalanced quote");
  } catch (e) {
    if (e !== stopAfterFirst) throw e;
  }
  if (!columns) throw new FileFormatError("empty_file", "the file is empty: a header row is required");
  if (text.charCodeAt(dataStart) === 13) dataStart++;
  if (text.charCodeAt(dataStart) === 10) dataStart++;
  return { columns: columns.map((c) => c.trim()), delimiter, dataStart };
}
