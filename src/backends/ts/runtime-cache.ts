/**
 * Build step (`npm run build`): writes the ts target's constant files (the
 * runtime and train.ts) transpiled to JavaScript into dist/src/backends/ts/
 * (compile.ts's RUNTIME_JS_MODULE), with each file's text, so `seqc compile`
 * does not transpile them at every run. A file whose text differs from the
 * cached one is transpiled as before.
 */
import { fileURLToPath } from "node:url";
import { writeAtomic } from "../../runtime/files.js";
import { RUNTIME_JS_MODULE, runtimeSources, TRAIN_TS, transpile, type TranspiledFile } from "./compile.js";

const files: TranspiledFile[] = Object.entries({ ...runtimeSources(), "train.ts": TRAIN_TS }).map(([name, text]) => ({ text, js: transpile(name, text) }));
writeAtomic(fileURLToPath(new URL(`./${RUNTIME_JS_MODULE}`, import.meta.url)), JSON.stringify(files));
