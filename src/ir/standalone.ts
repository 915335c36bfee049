/**
 * Build step (`npm run build`): writes the IR schema's validator as standalone
 * code into dist/src/ir/, so `seqc` does not compile the schema at every start.
 */
import { writeFileSync, renameSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import { IR_SCHEMA } from "./schema.js";
import { AJV_OPTIONS, STANDALONE_MODULE } from "./validator-options.js";

const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source: true, esm: true } });
// Ajv's ESM output still calls require() for its runtime helpers (e.g. ucs2length).
const prelude = 'import { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);\n';
const code = prelude + standaloneCode.default(ajv, ajv.compile(IR_SCHEMA)).replace(/^"use strict";/, "");
const target = new URL(`./${STANDALONE_MODULE}`, import.meta.url);
writeFileSync(new URL(`./${STANDALONE_MODULE}.tmp`, import.meta.url), code);
renameSync(new URL(`./${STANDALONE_MODULE}.tmp`, import.meta.url), target);
