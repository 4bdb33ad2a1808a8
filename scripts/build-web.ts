/**
 * Builds the web UI into web/dist: one minified JS bundle (uPlot and the shared domain modules included,
 * nothing from a CDN) and one stylesheet, both with content hashes, and index.html pointing at them.
 * Run by ./install.sh, and on demand by src/http/ui.ts when web/dist is missing. Safe to re-run.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
export const WEB_DIR = join(ROOT, "web");
export const DIST_DIR = join(WEB_DIR, "dist");

/** Builds into a temp dir and swaps it in, so a server reading web/dist never sees half a build. */
export async function buildWeb(opts: { outDir?: string; minify?: boolean } = {}): Promise<{ js: string; css: string; ms: number }> {
  const started = performance.now();
  const outDir = opts.outDir ?? DIST_DIR;
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  const assets = join(tmp, "assets");
  mkdirSync(assets, { recursive: true });
  try {
    const result = await Bun.build({
      entrypoints: [join(WEB_DIR, "src", "main.ts")],
      outdir: assets,
      target: "browser",
      format: "esm",
      minify: opts.minify ?? true,
      sourcemap: "linked",
      naming: "app-[hash].[ext]",
      define: { "process.env.NODE_ENV": '"production"' },
    });
    if (!result.success) throw new Error(`web build failed:\n${result.logs.map(String).join("\n")}`);
    const jsOut = result.outputs.find((o) => o.kind === "entry-point");
    if (!jsOut) throw new Error("web build produced no entry point");
    const js = jsOut.path.slice(assets.length + 1);
    const uplotCss = readFileSync(Bun.resolveSync("uplot/dist/uPlot.min.css", ROOT), "utf8");
    const cssText = `${uplotCss}\n${readFileSync(join(WEB_DIR, "styles.css"), "utf8")}`;
    const css = `app-${Bun.hash(cssText).toString(36)}.css`;
    writeFileSync(join(assets, css), cssText);
    const html = readFileSync(join(WEB_DIR, "index.html"), "utf8").replace("__CSS__", css).replace("__JS__", js);
    writeFileSync(join(tmp, "index.html"), html);
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
    return { js, css, ms: Math.round(performance.now() - started) };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

if (import.meta.main) {
  const r = await buildWeb();
  console.log(`web UI built in ${r.ms} ms: web/dist/assets/${r.js}, web/dist/assets/${r.css}`);
}
