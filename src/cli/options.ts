/**
 * What the command line offers that both main.ts (which declares the options)
 * and the commands (which run them) need: the choices of enumerated options.
 * Kept apart from the commands so that main.ts can list every command's
 * options without loading any command: each is imported when it runs.
 */
import { MAX_DIM } from "../ir/schema.js";
import { UsageError } from "./io.js";

/** seqc's version (package.json's), for --version and SARIF reports. */
export const VERSION = "0.1.0";

/** `seqc compile --target`. */
export const COMPILE_TARGETS = ["ts", "pytorch"] as const;
export type CompileTarget = (typeof COMPILE_TARGETS)[number];

/** `seqc export --to` (one so far). */
export const EXPORT_TARGETS = ["tfjs-layers"] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** `seqc import-weights --from`: the formats whose weights import (docs/pytorch.md for torch). */
export const IMPORT_FORMATS = ["tfjs-layers", "torch"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** What `--dim` says about itself in messages and help. */
export const DIM_HELP = "NAME=VALUE: a value for a free dim of the spec (a sequence length, the size of a vocabulary built from data); repeat for several";

/**
 * The values of `--dim NAME=VALUE` options (each a whole number from 1 to
 * MAX_DIM), by name; a malformed one, or a name given two values, is a
 * usage error. Whether the spec has such a dim is the checker's to say.
 */
export function parseDims(texts: readonly string[]): Map<string, number> {
  const dims = new Map<string, number>();
  for (const text of texts) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$/.exec(text.trim());
    if (!m) throw new UsageError(`--dim takes NAME=VALUE (e.g. --dim V=65), not ${JSON.stringify(text)}`);
    const [, name, digits] = m as unknown as [string, string, string];
    const value = Number(digits);
    if (value < 1 || value > MAX_DIM) throw new UsageError(`--dim ${name}=${digits}: a dim is a whole number from 1 to ${MAX_DIM}`);
    const before = dims.get(name);
    if (before !== undefined && before !== value) throw new UsageError(`--dim ${name} is given two values, ${before} and ${value}`);
    dims.set(name, value);
  }
  return dims;
}

/** The texts of a `--dim` option as yargs gives them: none, one, or an array when repeated. */
export function dimTexts(option: unknown): string[] {
  if (option === undefined) return [];
  return (Array.isArray(option) ? option : [option]).map(String);
}

/** `seqc graph --to`: what Graphviz in WebAssembly renders (no PNG), or the DOT text itself. */
export const GRAPH_FORMATS = ["svg", "dot"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** `seqc plot --x`: what the curves are drawn against. */
export const PLOT_AXES = ["step", "time"] as const;
export type PlotAxis = (typeof PLOT_AXES)[number];
