/** How a parse of a chunk of CSV text ended. */
export type ParseEnd =
  /** every record of the text was delivered */
  | { kind: "done"; lines: number }
  /** a quoted field contains a line break (only reported when they are not allowed) */
  | { kind: "quoted_newline" }
  /** the text ends inside a quoted field that began at `recordStart` (char index), on relative line `line` */
  | { kind: "open_quote"; recordStart: number; line: number };

/** Receives one record: its fields (undefined when malformed), relative physical line of its start, raw text. */
export type OnRecord = (fields: string[] | undefined, line: number, start: number, end: number) => void;

const QUOTE = 34;
const LF = 10;
const CR = 13;

/**
 * Parses RFC 4180-style CSV text record by record: quoted fields with `""` escapes and the delimiter or line
 * breaks inside, CRLF, LF or a lone CR (old Mac files; it counts as a line too, so every record has its own
 * line number), blank lines skipped. A record whose closing quote is followed by anything but a
 * delimiter or line end is delivered as malformed (fields undefined) and parsing resumes on the next line.
 * Pure; the workers' hot loop (csv-parse is the reference it is tested against).
 */
export function parseRecords(text: string, delimiter: number, allowQuotedNewlines: boolean, onRecord: OnRecord): ParseEnd {
  const n = text.length;
  let pos = 0;
  let line = 0;
  while (pos < n) {
    const start = pos;
    const startLine = line;
    let c = text.charCodeAt(pos);
    if (c === LF) { pos++; line++; continue; }
    if (c === CR) { pos += text.charCodeAt(pos + 1) === LF ? 2 : 1; line++; continue; }
    const fields: string[] = [];
    let malformed = false;
    for (;;) {
      c = text.charCodeAt(pos);
      if (c === QUOTE) {
        let value = "";
        let from = pos + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) return { kind: "open_quote", recordStart: start, line: startLine };
          const nl = text.indexOf("\n", from);
          if (nl >= 0 && nl < q) {
            if (!allowQuotedNewlines) return { kind: "quoted_newline" };
            line += countLines(text, from, q);
          }
          value += text.slice(from, q);
          if (text.charCodeAt(q + 1) === QUOTE) { value += '"'; from = q + 2; continue; }
          pos = q + 1;
          break;
        }
        fields.push(value);
        c = text.charCodeAt(pos);
        if (pos < n && c !== delimiter && c !== LF && c !== CR) malformed = true;
      } else {
        const from = pos;
        while (pos < n && (c = text.charCodeAt(pos)) !== delimiter && c !== LF && c !== CR) pos++;
        fields.push(text.slice(from, pos));
      }
      if (malformed) while (pos < n && (c = text.charCodeAt(pos)) !== LF && c !== CR) pos++;
      if (pos >= n) break;
      c = text.charCodeAt(pos);
      if (c === delimiter && !malformed) { pos++; continue; }
      break;
    }
    const end = pos;
    if (text.charCodeAt(pos) === CR) {
      pos++;
      if (text.charCodeAt(pos) === LF) pos++;
      line++;
    } else if (text.charCodeAt(pos) === LF) { pos++; line++; }
    onRecord(malformed ? undefined : fields, startLine, start, end);
  }
  return { kind: "done", lines: line };
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
