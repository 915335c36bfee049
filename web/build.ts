/**
 * Builds the playground (`npm run web:build`): web/src/main.ts and what it
 * imports of seqc, bundled by esbuild for the browser into web/dist/playground.js,
 * with the standard library and the shipped specs as strings, and Graphviz
 * into web/dist/graphviz.js. Node's modules that seqc imports are replaced:
 * `node:path` by pathe (the same functions on `/`-separated paths), the others
 * by src/shims/ (seqc is given every text, so it reads no file).
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import type { StdSources } from "../src/ir/program.js";

const WEB = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(WEB);
export const OUT_DIR = join(WEB, "dist");
const BUNDLE = join(OUT_DIR, "playground.js");

/** The .seq files of a directory, by name, in name order. */
function seqFiles(dir: string): [name: string, text: string][] {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".seq"))
    .sort()
    .map((n) => [n, readFileSync(join(dir, n), "utf8")]);
}

/** What the page bundles: the standard library (said to be in /std) and the shipped specs. */
export function webSources(): { std: StdSources; specs: [string, string][] } {
  return {
    std: { dir: "/std", files: seqFiles(join(ROOT, "src", "std")).map(([name, text]) => ({ name, text })) },
    specs: seqFiles(join(ROOT, "specs")),
  };
}

const SHIMS: Record<string, string> = {
  "node:fs": join(WEB, "src", "shims", "node-fs.ts"),
  "node:url": join(WEB, "src", "shims", "node-url.ts"),
  "node:module": join(WEB, "src", "shims", "node-module.ts"),
};

/** `seqc-web:sources` (see src/sources.d.ts) and Node's modules for the browser. */
const browser: Plugin = {
  name: "seqc-web",
  setup(b) {
    b.onResolve({ filter: /^seqc-web:sources$/ }, (a) => ({ path: a.path, namespace: "seqc-web" }));
    b.onLoad({ filter: /.*/, namespace: "seqc-web" }, () => {
      const { std, specs } = webSources();
      return { contents: `export const STD = ${JSON.stringify(std)};\nexport const SPECS = ${JSON.stringify(specs)};\n`, loader: "js" };
    });
    b.onResolve({ filter: /^node:/ }, async (a) => {
      if (a.path === "node:path") return await b.resolve("pathe", { kind: a.kind, resolveDir: WEB });
      const shim = SHIMS[a.path];
      if (!shim) return { errors: [{ text: `${a.path} has no browser replacement (imported by ${a.importer})` }] };
      return { path: shim };
    });
  },
};

/** A file the build wrote: its path and size in bytes, raw and gzipped. */
export interface Output {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface WebBuild {
  /** playground.js, then graphviz.js. */
  outputs: Output[];
  ms: number;
}

/** Graphviz, bundled on its own: most of the page's bytes, which the page fetches for its first diagram. */
const GRAPHVIZ = "@hpcc-js/wasm-graphviz";
const GRAPHVIZ_BUNDLE = join(OUT_DIR, "graphviz.js");

/** For the page's bundle: Graphviz is the module beside it. */
const graphvizBeside: Plugin = {
  name: "seqc-web-graphviz",
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${GRAPHVIZ}$`) }, () => ({ path: "./graphviz.js", external: true }));
  },
};

/**
 * Builds web/dist/: playground.js (seqc, the page, the texts) and graphviz.js,
 * which the page imports when it draws its first diagram (so the checker does
 * not wait for it); minified, with source maps and esbuild's metafile for each.
 */
export async function buildWeb(): Promise<WebBuild> {
  const start = performance.now();
  rmSync(OUT_DIR, { recursive: true, force: true });
  const common = { bundle: true, platform: "browser", format: "esm", target: "es2022", minify: true, sourcemap: true, logLevel: "warning", metafile: true } as const;
  const [page, graphviz] = await Promise.all([
    build({ ...common, entryPoints: [join(WEB, "src", "main.ts")], outfile: BUNDLE, plugins: [graphvizBeside, browser] }),
    build({ ...common, stdin: { contents: `export * from "${GRAPHVIZ}";`, resolveDir: WEB }, outfile: GRAPHVIZ_BUNDLE }),
  ]);
  // What each bundle is made of, for esbuild's analyser (`esbuild --analyze`, or its web page).
  writeFileSync(join(OUT_DIR, "playground.meta.json"), JSON.stringify(page.metafile));
  writeFileSync(join(OUT_DIR, "graphviz.meta.json"), JSON.stringify(graphviz.metafile));
  const ms = performance.now() - start;
  return { outputs: [BUNDLE, GRAPHVIZ_BUNDLE].map((file) => ({ file, bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file)).length })), ms };
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

/** What a build wrote, a line per file, and how long it took. */
export function describeBuild(b: WebBuild): string {
  const lines = b.outputs.map((o) => `  ${relative(ROOT, o.file)}: ${kib(o.bytes)} (${kib(o.gzipBytes)} gzipped)`);
  return `built the playground in ${(b.ms / 1000).toFixed(1)} s:\n${lines.join("\n")}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(describeBuild(await buildWeb()));
