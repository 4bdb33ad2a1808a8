import { mkdirSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { DomainError } from "../domain/errors.ts";
import { newId } from "../storage/ids.ts";
import { MultipartFileExtractor } from "./multipart.ts";

/** Where uploaded CSV files wait for their import (removed when it ends). */
export function uploadsDir(dataDir: string): string {
  return join(dataDir, "uploads");
}

/**
 * Streams a request body to a new file under `DATA_DIR/uploads` without holding it in memory: the raw body
 * (`text/csv`, `application/octet-stream`) or the `file` field of a multipart form. Over `maxBytes` the partial
 * file is removed. Returns the path and size.
 * @throws DomainError too_large (413), bad_request (no body, no `file` field).
 */
export async function saveUpload(body: ReadableStream<Uint8Array> | null, contentType: string, dataDir: string, maxBytes: number): Promise<{ path: string; bytes: number }> {
  if (!body) throw new DomainError("bad_request", "empty_body", "send the CSV as the request body (text/csv) or as the multipart field `file`");
  const dir = uploadsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${newId()}.csv`);
  const multipart = /^multipart\/form-data/i.test(contentType) ? new MultipartFileExtractor(contentType, "file") : undefined;
  const file = await open(path, "w");
  let bytes = 0;
  try {
    for await (const chunk of body) {
      const data = multipart ? multipart.push(chunk) : [chunk];
      for (const part of data) {
        bytes += part.length;
        if (bytes > maxBytes) throw new DomainError("too_large", "upload_too_large", `uploads are limited to ${maxBytes} bytes`);
        await file.write(part);
      }
    }
    if (multipart && !multipart.found) throw new DomainError("bad_request", "missing_file_field", "the multipart form has no `file` field");
    await file.sync();
    return { path, bytes };
  } catch (e) {
    await file.close().catch(() => {});
    rmSync(path, { force: true });
    throw e;
  } finally {
    await file.close().catch(() => {});
  }
}
