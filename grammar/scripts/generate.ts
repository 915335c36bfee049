/** Regenerates the grammar artefacts (`npm run gen`); with --check, exits 1 if any is stale. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { allArtefacts } from "../artefacts.js";

const check = process.argv.includes("--check");
let stale = 0;
for (const { path, text } of allArtefacts()) {
  let old: string | undefined;
  try {
    old = readFileSync(path, "utf8");
  } catch {
    old = undefined;
  }
  if (old === text) continue;
  if (check) {
    console.error(`stale: ${path} (run npm run gen)`);
    stale++;
  } else {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
    console.log(`wrote ${path}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
