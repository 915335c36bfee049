/**
 * Specs in tests, through the driver (src/driver.ts) as the commands go: an
 * inline spec under a virtual file name, or a file of specs/, to its checked
 * model and graph.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { compileSpec, type CompiledSpec } from "../../src/driver.js";
import type { Graph } from "../../src/graph/graph.js";
import type { LoadOptions } from "../../src/ir/program.js";

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

/** The graph of an inline spec's model (its only one, or the one named), which must check cleanly. */
export function graphOf(text: string, model?: string): Graph {
  const c = compileInline(text, model !== undefined ? { model } : {});
  expect(c.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return c.graph!;
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
