import { closeSync, openSync, readSync } from "node:fs";

/** Reads bytes [start, end) of a file (a worker's chunk; at most a few MiB). */
export function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(end - start);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    return got === buf.length ? buf : buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * The offset just after the first line feed at or after `from` (the file size when there is none):
 * chunk boundaries are line-aligned. Reads forward in 64 KiB steps.
 */
export function nextLineStart(path: string, from: number, fileSize: number): number {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let pos = from; pos < fileSize; pos += buf.length) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      const i = buf.subarray(0, n).indexOf(10);
      if (i >= 0) return pos + i + 1;
    }
    return fileSize;
  } finally {
    closeSync(fd);
  }
}
