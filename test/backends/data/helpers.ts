/** Graphs for the data-layer tests: from a catalogue spec, or from a model written inline. */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { checkProgram } from "../../../src/check/check.js";
import { buildGraph } from "../../../src/graph/build.js";
import type { Graph } from "../../../src/graph/graph.js";
import { loadProgram } from "../../../src/ir/program.js";
import { check } from "../../check/harness.js";

const cache = new Map<string, Graph>();

/** The graph of the (first, or named) model of `specs/<file>`. */
export function specGraph(file: string, model?: string): Graph {
  const key = `${file}#${model ?? ""}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = checkProgram(loadProgram(`specs/${file}`, { readFile: (p) => readFileSync(p, "utf8") }));
  expect(r.diagnostics).toEqual([]);
  const m = model === undefined ? r.models[0] : r.models.find((x) => x.name === model);
  if (!m) throw new Error(`no model ${model} in ${file}`);
  const g = buildGraph(m);
  cache.set(key, g);
  return g;
}

/** The graph of a model written inline (`model m { ... }`). */
export function graphOf(text: string): Graph {
  const r = check(text);
  expect(r.diagnostics).toEqual([]);
  return buildGraph(r.models[0]!);
}

/** The lines of a DataError's message after the first (one per problem). */
export function problemLines(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    return (e as Error).message.split("\n").slice(1).map((l) => l.trim());
  }
  throw new Error("expected a DataError");
}
