import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { FileEncoding } from "./csv-format.ts";

/** Task: rewrite a UTF-16 file (after its BOM of `skip` bytes) as UTF-8 at `to`. Returns the new size. */
export function transcodeToUtf8(task: { from: string; to: string; encoding: FileEncoding; skip: number }): number {
  const input = openSync(task.from, "r");
  const output = openSync(task.to, "w");
  const decoder = new TextDecoder("utf-16le");
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = task.skip;
  let written = 0;
  try {
    for (;;) {
      const n = readSync(input, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      // Bun's TextDecoder has no working utf-16be: swap each byte pair and decode as little-endian.
      if (task.encoding === "utf16be") for (let i = 0; i + 1 < n; i += 2) [buf[i], buf[i + 1]] = [buf[i + 1]!, buf[i]!];
      const bytes = Buffer.from(decoder.decode(buf.subarray(0, n), { stream: true }), "utf8");
      written += writeSync(output, bytes);
    }
    written += writeSync(output, Buffer.from(decoder.decode(), "utf8"));
    return written;
  } finally {
    closeSync(input);
    closeSync(output);
  }
}
