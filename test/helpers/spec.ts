/**
 * Specs in tests, through the driver (src/driver.ts) as the commands go: an
 * inline spec under a virtual file name, or a file of specs/ (optionally
 * shrunk by exact text replacements), to its checked models and graph.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { ModelInfo } from "../../src/check/infer.js";
import { checkSpec, compileSpec, type CompiledSpec } from "../../src/driver.js";
import type { Graph } from "../../src/graph/graph.js";
import type { LoadOptions, Program } from "../../src/ir/program.js";

/** Load options for a spec given as text in a virtual folder: its imports resolve against `files` (by name). */
export function inline(text: string, files: Record<string, string> = {}): LoadOptions {
  return {
    text,
    cwd: "/virtual",
    readFile: (p) => {
      const name = p.replace(/^\/virtual\//, "");
      if (name in files) return files[name]!;
      throw new Error(`no file ${p}`);
    },
  };
}

/** Compiles `text` as the file `file` (default spec.seq); imports resolve against `files`. Without a model name, the first model. */
export function compileInline(text: string, opts: { file?: string; model?: string; files?: Record<string, string> } = {}): CompiledSpec {
  const model = opts.model ?? firstModel(text);
  return compileSpec(opts.file ?? "spec.seq", { ...inline(text, opts.files), ...(model !== undefined ? { model } : {}) });
}

/** The name of the first model written in a spec's text (tests pick it when a spec has several). */
function firstModel(text: string): string | undefined {
  return /^model\s+(\w+)/m.exec(text)?.[1];
}

/** An inline spec compiled (its first model, or the one named), which must have no errors: its checked model and graph. */
export function checkedInline(text: string, model?: string): CompiledSpec & { model: ModelInfo; graph: Graph } {
  const c = compileInline(text, model !== undefined ? { model } : {});
  expect(c.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return { ...c, model: c.model!, graph: c.graph! };
}

/** The graph of an inline spec's model (its first, or the one named), which must have no errors. */
export function graphOf(text: string, model?: string): Graph {
  return checkedInline(text, model).graph;
}

const graphs = new Map<string, Graph>();

/** The graph of a model of a file in specs/ (the first, or the one named); built once per test file. */
export function specGraph(file: string, model?: string): Graph {
  const key = `${file}#${model ?? ""}`;
  const known = graphs.get(key);
  if (known) return known;
  const path = `specs/${file}`;
  const text = readFileSync(path, "utf8");
  const name = model ?? firstModel(text);
  const c = compileSpec(path, { text, ...(name !== undefined ? { model: name } : {}) });
  expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  graphs.set(key, c.graph!);
  return c.graph!;
}

/** Exact text replacements that shrink the specs of specs/ whose sizes make a gradient check or a differential run slow. */
export const SHRINK: Record<string, [string, string][]> = {
  "alphago_policy.seq": [
    // K = 5 maps, not fewer: with 3, whole layers of the 12 relu layers die and their gradients are exactly 0.
    // A 3x3 board: on 4x4 the relu pre-activations near 0 are so many that over half the entries met a kink.
    ["dim K = 192", "dim K = 5"],
    ["input x: [19, 19, 48]", "input x: [3, 3, 2]"],
    ["target y: [19, 19, 1]", "target y: [3, 3, 1]"],
  ],
  "resnet_bottleneck.seq": [
    // 3x3 maps: on 4x4x5 the relu(f + x) after each identity shortcut put a kink near 45% of the entries.
    ["input x: [56, 56, 256]", "input x: [3, 3, 4]"],
    ["bottleneck<D=64>", "bottleneck<D=3>"],
  ],
  "inception_block.seq": [
    ["input x: [28, 28, 192]", "input x: [5, 5, 3]"],
    ["inception<K1=64, R3=96, K3=128, R5=16, K5=32, KP=32>", "inception<K1=2, R3=2, K3=3, R5=2, K5=2, KP=2>"],
  ],
  "char_lstm_dropout.seq": [
    ["dim E = 32", "dim E = 3"],
    ["dim H = 128", "dim H = 4"],
  ],
  "layer_norm_rnn.seq": [["dim H = 64", "dim H = 4"]],
  "pyramid_rnn.seq": [
    ["dim F = 40", "dim F = 3"],
    ["dim H = 256", "dim H = 4"],
  ],
  "caption_decoder.seq": [
    ["dim F = 4096", "dim F = 6"],
    ["dim E = 256", "dim E = 4"],
    ["dim H = 512", "dim H = 5"],
  ],
  "stacked_rnn.seq": [["dim H = 256", "dim H = 6"]],
};

/**
 * A spec's text after each `[from, to]` of `replacements`; every `from` must
 * occur (so a spec that changes makes the test fail loudly rather than
 * silently testing the full-size model).
 */
export function shrink(file: string, text: string, replacements: readonly (readonly [string, string])[]): string {
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${file}: the text ${JSON.stringify(from)} to shrink is not in the spec any more`);
    text = text.split(from).join(to);
  }
  return text;
}

export interface CheckedFile {
  program: Program;
  /** Every model of the spec, checked. */
  models: ModelInfo[];
  sources: Map<string, string>;
  /** The root file's name in the program and its (replaced) text. */
  file: string;
  source: string;
}

/**
 * Loads and checks a spec file (a path, relative to the working directory or
 * absolute) after the replacements (see `shrink`); a spec with errors throws,
 * so that a test collecting cases can report it as a case.
 */
export function checkFile(path: string, replacements: readonly (readonly [string, string])[] = []): CheckedFile {
  const text = shrink(path, readFileSync(path, "utf8"), replacements);
  const { program, diagnostics, models } = checkSpec(path, { text });
  const errors = [...program.diagnostics, ...diagnostics].filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`${path} does not check: ${errors.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  return { program, models, sources: program.sources, file: program.root.file, source: program.sources.get(program.root.file)! };
}
