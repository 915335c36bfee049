/**
 * What the generators (`npm run gen`: grammar/scripts/generate.ts, `npm run
 * gen:wasm`: scripts/gemm-wasm.ts) do with each file they make: leave it when
 * it is current, write it (atomically) when it is stale, or with --check only
 * report it stale.
 */
import { readFileSync } from "node:fs";
import { writeAtomic } from "../src/runtime/files.js";

/**
 * Brings the file at `path` (as named in messages too) to `text`: true when
 * it already was; else, with `check`, prints that it is stale (run `command`)
 * and returns false; else writes it, says so and returns true.
 */
export function regenerate(path: string, text: string, check: boolean, command: string, named = path): boolean {
  let old: string | undefined;
  try {
    old = readFileSync(path, "utf8");
  } catch {
    old = undefined;
  }
  if (old === text) return true;
  if (check) {
    console.error(`stale: ${named} (run ${command})`);
    return false;
  }
  writeAtomic(path, text);
  console.log(`wrote ${named}`);
  return true;
}
