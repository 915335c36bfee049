/**
 * Build step (`npm run build`, after standalone.ts): writes the standard
 * library compiled to IR into dist/src/ir/ (program.ts's STD_CACHE_MODULE),
 * with each file's text, so `seqc` does not parse it at every start. A file
 * whose text on disk differs from the cached one is compiled as before.
 */
import { renameSync, writeFileSync } from "node:fs";
import { compileStd, STD_CACHE_MODULE } from "./program.js";

const target = new URL(`./${STD_CACHE_MODULE}`, import.meta.url);
const temp = new URL(`./${STD_CACHE_MODULE}.tmp`, import.meta.url);
writeFileSync(temp, JSON.stringify(compileStd()));
renameSync(temp, target);
