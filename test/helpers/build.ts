/**
 * Global setup of the e2e project (vitest.config.ts): the tests run the real
 * CLI over the compiled dist/, so dist/ is built once before them when it is
 * missing or older than the sources (`npm test` and `npm run test:e2e` build
 * first; this covers `npx vitest run test/cli/...`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const MAIN_JS = join(ROOT, "dist/src/cli/main.js");

/** Every .ts under dir (recursively), as paths relative to the root. */
function tsSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  if (existsSync(join(ROOT, dir))) walk(dir);
  return out;
}

/** Sources whose compiled .js in dist/ is missing or older (what tsconfig.build.json compiles). */
export function staleOutputs(): string[] {
  const sources = [...tsSources("src"), ...tsSources("grammar").filter((p) => !p.startsWith("grammar/generated/") && !p.startsWith("grammar/scripts/"))];
  return sources.filter((src) => {
    const out = join(ROOT, "dist", src.replace(/\.ts$/, ".js"));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(ROOT, src)).mtimeMs;
  });
}

export default function setup(): void {
  if (existsSync(MAIN_JS) && staleOutputs().length === 0) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["run", "build"], { cwd: ROOT, encoding: "utf8", shell: process.platform === "win32" });
  if (!existsSync(MAIN_JS)) throw new Error(`npm run build did not produce dist/src/cli/main.js:\n${r.stdout}\n${r.stderr}`);
  // tsc emits even with type errors (others may be editing sources); say so, but test what was built.
  if (r.status !== 0) console.warn(`npm run build exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}
