/**
 * Build step (`npm run build`): writes the ts target's constant files (the
 * runtime and train.ts) transpiled to JavaScript into dist/src/backends/ts/
 * (compile.ts's RUNTIME_JS_MODULE), with each file's text, so `seqc compile`
 * does not transpile them at every run. A file whose text differs from the
 * cached one is transpiled as before.
 */
import { renameSync, writeFileSync } from "node:fs";
import { RUNTIME_JS_MODULE, runtimeSources, TRAIN_TS, transpile, type TranspiledFile } from "./compile.js";

const files: TranspiledFile[] = Object.entries({ ...runtimeSources(), "train.ts": TRAIN_TS }).map(([name, text]) => ({ text, js: transpile(name, text) }));
const target = new URL(`./${RUNTIME_JS_MODULE}`, import.meta.url);
const temp = new URL(`./${RUNTIME_JS_MODULE}.tmp`, import.meta.url);
writeFileSync(temp, JSON.stringify(files));
renameSync(temp, target);
