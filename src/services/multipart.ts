import { DomainError } from "../domain/errors.ts";

/**
 * Pulls one file field out of a streamed multipart/form-data body, chunk by chunk, keeping only a
 * boundary's worth of bytes between chunks. Other fields are skipped.
 */
export class MultipartFileExtractor {
  private readonly delimiter: Buffer;
  private buf: Buffer = Buffer.alloc(0);
  private state: "preamble" | "headers" | "skip" | "file" | "done" = "preamble";
  /** True once the wanted field's headers were seen. */
  found = false;

  /** @throws DomainError bad_request when the content type has no boundary. */
  constructor(contentType: string, private readonly field: string) {
    const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    if (!m) throw new DomainError("bad_request", "bad_multipart", "multipart/form-data without a boundary");
    this.delimiter = Buffer.from(`\r\n--${m[1] ?? m[2]}`);
    // The first boundary has no preceding CRLF: pretend it had one.
    this.buf = Buffer.from("\r\n");
  }

  /** Feeds a chunk; returns the bytes of the wanted file found in it (possibly none). */
  push(chunk: Uint8Array): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: Buffer[] = [];
    for (;;) {
      if (this.state === "done") return out;
      if (this.state === "headers") {
        const end = this.buf.indexOf("\r\n\r\n");
        if (end < 0) return out;
        const headers = this.buf.subarray(0, end).toString("utf8");
        const name = /name="([^"]*)"/i.exec(headers)?.[1];
        this.state = name === this.field && !this.found ? "file" : "skip";
        if (this.state === "file") this.found = true;
        this.buf = this.buf.subarray(end + 4);
        continue;
      }
      const at = this.buf.indexOf(this.delimiter);
      if (at < 0) {
        // Keep a possible partial delimiter at the end for the next chunk.
        const keep = Math.min(this.buf.length, this.delimiter.length - 1);
        if (this.state === "file" && this.buf.length > keep) out.push(Buffer.from(this.buf.subarray(0, this.buf.length - keep)));
        this.buf = this.buf.subarray(this.buf.length - keep);
        return out;
      }
      if (this.state === "file" && at > 0) out.push(Buffer.from(this.buf.subarray(0, at)));
      const after = this.buf.subarray(at + this.delimiter.length);
      if (after.length < 2) {
        this.buf = this.buf.subarray(at);
        return out;
      }
      if (after[0] === 45 && after[1] === 45) this.state = "done";
      else this.state = "headers";
      this.buf = after.subarray(2);
    }
  }
}
