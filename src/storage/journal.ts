import { closeSync, fdatasync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, unlinkSync, writevSync } from "node:fs";
import { join } from "node:path";
import { Packr } from "msgpackr";
import type { Logger } from "../log.ts";

/** One record of the journal: its number, how many items it holds, and where it sits. */
export interface JournalRecord {
  readonly seq: number;
  readonly count: number;
  /** The segment (named by its first record's number), the frame's offset and the payload's length. */
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
}

export interface JournalOptions {
  /**
   * 0: `append`'s promise resolves once the record is on disk (fdatasync; records written meanwhile share it).
   * N > 0: it resolves as soon as the record is written (the OS has it: safe against kill -9), and the file is
   * flushed to disk within N ms.
   */
  syncMs: number;
  /** A segment grows to about this size before the next one starts. */
  segmentBytes?: number;
  log?: Logger;
}

/** Default `syncMs`: records are on disk within 100 ms (safe against kill -9 as soon as written). */
export const DEFAULT_JOURNAL_SYNC_MS = 100;
/** What `append` hands back as `durable` when the flush is left to the timer. */
const WRITTEN = Promise.resolve();

/** Frame header: u32 payload length, u32 CRC-32 of everything after it, f64 record number, u32 item count. */
const HEADER = 20;
const SEGMENT_BYTES = 64 * 1024 ** 2;
/** A segment whose records are all released starts over once it holds this much (else it keeps growing). */
const RESTART_RELEASED_BYTES = 1024 ** 2;
const NAME = /^(\d{16})\.log$/;
const packr = new Packr({ useRecords: false });

/**
 * An append-only log of records (msgpack values) numbered by the caller in increasing order, in segment files
 * under `dir`: the inbox of `JobQueue.accept`. An append is one `write` on this thread, so once it returns the
 * record survives kill -9; how soon it must also be on disk is `syncMs`. Every frame carries a CRC: a torn tail
 * (a crash mid-write) is cut off at open, and nothing after a bad frame in a segment is read. Records are kept
 * until `release`d (moved elsewhere); segments wholly released are deleted.
 *
 * One process appends (the one running the queue); other processes must not open it (backups copy the files).
 */
export class Journal {
  private readonly records: JournalRecord[] = [];
  /** The segment being appended to: its first record's number, descriptor and size (fd -1: none open). */
  private current = { segment: 0, fd: -1, size: 0 };
  private sealed: number[] = [];
  private lastSeq = 0;
  private syncTimer?: ReturnType<typeof setTimeout>;
  /** The fdatasync running, and the one asked for after it (covers every write made before it starts). */
  private syncing?: Promise<void>;
  private nextSync?: Promise<void>;
  private readFd?: { segment: number; fd: number };
  private closed = false;
  /** Held (flock) while open: a second process on the same data directory is refused, not let in to truncate. */
  private readonly lockFd: number;

  constructor(private readonly dir: string, private readonly o: JournalOptions) {
    mkdirSync(dir, { recursive: true });
    this.lockFd = lockExclusive(join(dir, "lock"));
    const segments = readdirSync(dir).flatMap((f) => (NAME.test(f) ? [Number(NAME.exec(f)![1])] : [])).sort((a, b) => a - b);
    segments.forEach((segment, i) => this.scan(segment, i === segments.length - 1));
  }

  /** The highest record number ever appended (0: none). */
  last(): number {
    return this.lastSeq;
  }

  /** Records not released yet with a number above `after`, in order. */
  after(after: number): JournalRecord[] {
    return this.records.filter((r) => r.seq > after);
  }

  /**
   * Appends a record (`seq` above every earlier one); returns it once written, with the promise of its
   * durability per `syncMs`.
   * @throws Error when the write fails (nothing of it is kept) or `seq` does not increase.
   */
  append(seq: number, value: unknown, count: number): { record: JournalRecord; durable: Promise<void> } {
    if (this.closed) throw new Error("journal closed");
    if (!(seq > this.lastSeq)) throw new Error(`journal record ${seq} does not follow ${this.lastSeq}`);
    if (this.current.fd < 0 || this.current.size >= (this.o.segmentBytes ?? SEGMENT_BYTES)) this.startSegment(seq);
    const payload = packr.pack(value);
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeDoubleLE(seq, 8);
    header.writeUInt32LE(count, 16);
    header.writeUInt32LE(crcOf(header, payload), 4);
    const { fd, size, segment } = this.current;
    try {
      const written = writevSync(fd, [header, payload], size);
      if (written !== HEADER + payload.length) throw new Error(`journal: short write (${written} of ${HEADER + payload.length} bytes)`);
    } catch (error) {
      this.undoWrite(size);
      throw error;
    }
    this.current.size += HEADER + payload.length;
    this.lastSeq = seq;
    const record = { seq, count, segment, offset: size, length: payload.length };
    this.records.push(record);
    return { record, durable: this.o.syncMs === 0 ? this.flush() : this.flushWithin(this.o.syncMs) };
  }

  /** The value of a record (for records not kept in memory elsewhere). */
  read(record: JournalRecord): unknown {
    if (this.readFd?.segment !== record.segment) {
      if (this.readFd) closeSync(this.readFd.fd);
      this.readFd = { segment: record.segment, fd: openSync(this.pathOf(record.segment), "r") };
    }
    const buf = Buffer.allocUnsafe(record.length);
    readSync(this.readFd.fd, buf, 0, record.length, record.offset + HEADER);
    return packr.unpack(buf);
  }

  /** Records numbered up to `seq` are no longer needed: segments holding only such records are deleted. */
  release(seq: number): void {
    if (this.closed) return;
    let n = 0;
    while (n < this.records.length && this.records[n]!.seq <= seq) n++;
    this.records.splice(0, n);
    const firstKept = this.records[0]?.segment ?? Infinity;
    for (const segment of this.sealed.filter((s) => s < firstKept && s !== this.current.segment)) this.remove(segment);
    if (this.current.fd >= 0 && this.records.length === 0 && this.current.size >= RESTART_RELEASED_BYTES) {
      const { segment, fd } = this.current;
      this.closeLater(fd);
      this.current = { segment: 0, fd: -1, size: 0 };
      this.remove(segment);
    }
  }

  /** Resolves once every record written so far is on disk. */
  flush(): Promise<void> {
    if (this.nextSync) return this.nextSync;
    if (!this.syncing) return this.startSync();
    // The running one may have started before the latest writes: one more after it covers them (and any others).
    return (this.nextSync = this.syncing.catch(() => undefined).then(() => {
      this.nextSync = undefined;
      return this.startSync();
    }));
  }

  /** Puts every record written so far on disk before returning (blocks this thread: start-up and tools only). */
  flushSync(): void {
    if (this.current.fd >= 0) fdatasyncSync(this.current.fd);
  }

  /** Flushes, stops appending and closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.syncTimer);
    await this.flush().catch((error) => this.o.log?.error("journal: flush at close failed", { error: String(error) }));
    this.closed = true;
    if (this.current.fd >= 0) closeSync(this.current.fd);
    if (this.readFd) closeSync(this.readFd.fd);
    this.current.fd = -1;
    closeSync(this.lockFd); // releases the lock
  }

  private startSync(): Promise<void> {
    const fd = this.current.fd;
    if (fd < 0) return Promise.resolve();
    const sync: Promise<void> = new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve()))).finally(() => {
      if (this.syncing === sync) this.syncing = undefined;
    });
    return (this.syncing = sync);
  }

  /** Closes a descriptor once no fdatasync may still be using it. */
  private closeLater(fd: number): void {
    if (this.syncing) void this.syncing.catch(() => undefined).then(() => closeSync(fd));
    else closeSync(fd);
  }

  private flushWithin(ms: number): Promise<void> {
    this.syncTimer ??= setTimeout(() => {
      this.syncTimer = undefined;
      this.flush().catch((error) => this.o.log?.error("journal: flush to disk failed", { error: String(error) }));
    }, ms);
    return WRITTEN;
  }

  /** Reads a segment's intact records; the last segment is cut back to its last intact frame for appending. */
  private scan(segment: number, isLast: boolean): void {
    const path = this.pathOf(segment);
    const buf = readFileSync(path);
    let at = 0;
    while (at + HEADER <= buf.length) {
      const length = buf.readUInt32LE(at);
      if (at + HEADER + length > buf.length) break;
      const header = buf.subarray(at, at + HEADER);
      const payload = buf.subarray(at + HEADER, at + HEADER + length);
      if (header.readUInt32LE(4) !== crcOf(header, payload)) break;
      const seq = header.readDoubleLE(8);
      // Numbers only increase; an older one (a copy made twice, e.g. an interrupted migration) is skipped.
      if (seq > this.lastSeq) {
        this.records.push({ seq, count: header.readUInt32LE(16), segment, offset: at, length });
        this.lastSeq = seq;
      }
      at += HEADER + length;
    }
    if (at < buf.length) this.o.log?.warn("journal: dropped a torn or damaged tail", { segment: path, offset: at, bytes: buf.length - at });
    this.sealed.push(segment);
    if (!isLast) return;
    const fd = openSync(path, "r+");
    if (at < buf.length) ftruncateSync(fd, at);
    this.current = { segment, fd, size: at };
  }

  private startSegment(seq: number): void {
    if (this.current.fd >= 0) {
      fdatasyncSync(this.current.fd); // the sealed segment is complete on disk before the next one begins
      this.closeLater(this.current.fd);
    }
    const fd = openSync(this.pathOf(seq), "a+");
    this.syncDir();
    this.current = { segment: seq, fd, size: 0 };
    this.sealed.push(seq);
  }

  /** After a failed write: cut the file back, or (if even that fails) seal it and go on in a new segment. */
  private undoWrite(size: number): void {
    try {
      ftruncateSync(this.current.fd, size);
    } catch {
      this.closeLater(this.current.fd);
      this.current = { segment: 0, fd: -1, size: 0 };
    }
  }

  private remove(segment: number): void {
    if (this.readFd?.segment === segment) {
      closeSync(this.readFd.fd);
      this.readFd = undefined;
    }
    try {
      unlinkSync(this.pathOf(segment));
    } catch (error) {
      this.o.log?.warn("journal: could not delete a released segment", { segment, error: String(error) });
    }
    this.sealed = this.sealed.filter((s) => s !== segment);
  }

  private syncDir(): void {
    const fd = openSync(this.dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private pathOf(segment: number): string {
    return join(this.dir, `${String(segment).padStart(16, "0")}.log`);
  }
}

const LOCK_EX = 2;
const LOCK_NB = 4;
let flock: ((fd: number, op: number) => number) | null | undefined;

/**
 * Opens `path` and takes an exclusive flock on it, or throws if another process holds it. Linux and macOS (libc
 * through bun:ffi); elsewhere the file is only opened.
 */
function lockExclusive(path: string): number {
  const fd = openSync(path, "a+");
  if (flock === undefined) {
    flock = null;
    try {
      const { dlopen, FFIType, suffix } = require("bun:ffi") as typeof import("bun:ffi");
      const libc = dlopen(process.platform === "linux" ? "libc.so.6" : `libc.${suffix}`, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
      flock = (f, op) => libc.symbols.flock(f, op) as number;
    } catch {
      flock = null;
    }
  }
  if (flock && flock(fd, LOCK_EX | LOCK_NB) !== 0) {
    closeSync(fd);
    throw new Error(`the journal in ${path.replace(/\/lock$/, "")} is in use by another Pombo process on this data directory`);
  }
  return fd;
}

/** CRC-32 of a frame's header after the CRC field, then its payload. */
function crcOf(header: Buffer, payload: Buffer): number {
  return Bun.hash.crc32(payload, Bun.hash.crc32(header.subarray(8)));
}
