import { statSync } from "node:fs";
import type { WorkerPool } from "../workers/pool.ts";
import { findPhoneColumn, fieldNames, MAX_COLUMNS } from "../domain/contact-columns.ts";
import type { ImportFormat, ImportRecord } from "../storage/imports.ts";
import { readRange } from "../workers/chunk-reader.ts";
import { decodeText, detectEncoding, FileFormatError, readHeader } from "../workers/csv-format.ts";

const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/**
 * Works out how to read an import file: encoding (UTF-16 is transcoded to a UTF-8 copy by a worker),
 * delimiter, header and phone column. Reads only the head of the file.
 * @throws FileFormatError for empty, binary, header-only or phone-less files.
 */
export async function planFormat(pool: WorkerPool, rec: ImportRecord): Promise<ImportFormat & { bytesTotal: number; headerLines: number }> {
  let dataPath = rec.path;
  let size = statSync(dataPath).size;
  if (size === 0) throw new FileFormatError("empty_file", "the file is empty: a header row is required");
  let { encoding, bom } = detectEncoding(readRange(dataPath, 0, Math.min(size, 64 * 1024)));
  if (encoding !== "utf8") {
    const to = `${rec.path}.utf8`;
    size = await pool.run({ from: rec.path, to, encoding, skip: bom }, { name: "transcodeToUtf8" });
    [dataPath, bom] = [to, 0];
  }
  for (let want = 1024 * 1024; ; want *= 4) {
    const head = readRange(dataPath, bom, Math.min(size, bom + want));
    const complete = bom + head.length === size;
    const { text, singleByte } = decodeText(complete ? head : head.subarray(0, head.lastIndexOf(10) + 1));
    if (text.trim() === "" && complete) throw new FileFormatError("empty_file", "the file has no header row");
    if (text.trim() === "" || (!complete && !/\n/.test(text))) {
      if (want >= MAX_HEADER_BYTES) throw new FileFormatError("header_too_long", "the header row is longer than 16 MiB");
      continue;
    }
    const header = readHeader(text);
    if (header.columns.length > MAX_COLUMNS) throw new FileFormatError("too_many_columns", `the file has ${header.columns.length} columns; at most ${MAX_COLUMNS} are supported`);
    const phoneIndex = findPhoneColumn(header.columns, rec.phoneColumn);
    if (phoneIndex < 0) throw new FileFormatError("no_phone_column", noPhoneMessage(header.columns, rec.phoneColumn));
    const dataStart = bom + (singleByte ? header.dataStart : Buffer.byteLength(text.slice(0, header.dataStart)));
    if (text.slice(header.dataStart).trim() === "" && complete) throw new FileFormatError("no_rows", "the file has a header row but no data rows");
    const headerLines = text.slice(0, header.dataStart).split("\n").length - 1;
    return { dataPath, delimiter: header.delimiter, fields: fieldNames(header.columns), phoneIndex, dataStart, bytesTotal: size, headerLines };
  }
}

function noPhoneMessage(columns: string[], phoneColumn?: string): string {
  const shown = columns.slice(0, 20).map((c) => JSON.stringify(c)).join(", ");
  return phoneColumn
    ? `no column named "${phoneColumn}" (columns: ${shown})`
    : `no phone column found (looked for phone, mobile, cell, number, telephone, msisdn…; columns: ${shown}); pass phoneColumn`;
}
