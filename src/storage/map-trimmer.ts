import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/**
 * Keeps the LMDB files' pages mapped into this process within a budget.
 *
 * LMDB reads through a read-only shared memory map of `data.mdb`: every page a read (or a write's copy-on-write)
 * touches stays mapped, so a 50M-row import shows the whole multi-GiB file in the process's RSS even though those
 * are clean page-cache pages the kernel may drop at any time. When the mapped file pages pass the budget, this
 * releases them with `madvise(MADV_DONTNEED)`: the mapping stays valid, the pages stay in the page cache, and the
 * next touch maps them back (a minor fault). Safe for LMDB: without MDB_WRITEMAP it never writes through the map.
 * Linux only (reads /proc/self, calls libc through bun:ffi); elsewhere it does nothing.
 */
export interface MapTrimmer {
  /** Releases mapped pages if the file-backed resident memory is over budget; returns the bytes released (0 if none). */
  check(): number;
  /** Releases every mapped page of the LMDB files now; returns how many maps were advised. */
  trim(): number;
}

const MADV_DONTNEED = 4;
const PAGE = 4096;

type Madvise = (addr: bigint, length: bigint, advice: number) => number;

let madvise: Madvise | null | undefined;
function loadMadvise(): Madvise | null {
  if (madvise !== undefined) return madvise;
  madvise = null;
  if (process.platform !== "linux") return madvise;
  try {
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen("libc.so.6", { madvise: { args: [FFIType.u64, FFIType.u64, FFIType.i32], returns: FFIType.i32 } });
    madvise = (addr, length, advice) => libc.symbols.madvise(addr, length, advice) as number;
  } catch {
    madvise = null;
  }
  return madvise;
}

/** Resident pages backed by files or shared memory (the third field of /proc/self/statm), in bytes. */
export function mappedResidentBytes(): number {
  try {
    return Number(readFileSync("/proc/self/statm", "utf8").split(" ")[2]) * PAGE;
  } catch {
    return 0;
  }
}

/** The address ranges this process maps of the `data.mdb` files under `dirs`. */
function lmdbMaps(dirs: string[]): Array<[bigint, bigint]> {
  const files = new Set(dirs.map((d) => resolve(d, "data.mdb")));
  const out: Array<[bigint, bigint]> = [];
  for (const line of readFileSync("/proc/self/maps", "utf8").split("\n")) {
    const path = line.slice(line.indexOf("/"));
    if (!files.has(path)) continue;
    const [start, end] = line.slice(0, line.indexOf(" ")).split("-") as [string, string];
    out.push([BigInt(`0x${start}`), BigInt(`0x${end}`)]);
  }
  return out;
}

/** A trimmer for the environments in `dirs` (their paths, as given to lmdb `open`), with a budget in bytes. */
export function createMapTrimmer(dirs: string[], budgetBytes: number): MapTrimmer {
  const trim = () => {
    const advise = loadMadvise();
    if (!advise) return 0;
    let n = 0;
    for (const [start, end] of lmdbMaps(dirs)) if (advise(start, end - start, MADV_DONTNEED) === 0) n++;
    return n;
  };
  return {
    trim,
    check() {
      if (budgetBytes <= 0) return 0;
      const before = mappedResidentBytes();
      if (before <= budgetBytes || trim() === 0) return 0;
      return Math.max(0, before - mappedResidentBytes());
    },
  };
}
