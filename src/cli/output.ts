/** Printing diagnostics for the chosen format and deciding on color. */
import type { Diagnostic, Sources } from "../diagnostics/diagnostic.js";
import { render, type Format } from "../diagnostics/render/index.js";
import { readFileSync } from "node:fs";
import { lineIndex, position } from "../diagnostics/render/lines.js";
import type { Graph, Source } from "../graph/graph.js";
import type { ModelInfo } from "../check/infer.js";
import type { CompiledSpec } from "../driver.js";
import { loadStd } from "../ir/program.js";
import { VERSION } from "./options.js";

export { VERSION } from "./options.js";

export interface OutputOptions {
  format: Format;
  color: boolean | undefined;
}

/** Color when asked, or by default when stderr is a terminal and NO_COLOR is unset. */
export function useColor(opt: boolean | undefined, stream: NodeJS.WriteStream): boolean {
  if (opt !== undefined) return opt;
  return Boolean(stream.isTTY) && !process.env["NO_COLOR"];
}

/**
 * Writes diagnostics: human text goes to stderr; machine formats go to stdout
 * (they are the command's output in CI).
 */
export function emitDiagnostics(diags: Diagnostic[], sources: Sources, opts: OutputOptions): void {
  if (opts.format === "human") {
    if (diags.length > 0) process.stderr.write(render("human", diags, sources, { color: useColor(opts.color, process.stderr) }));
    return;
  }
  process.stdout.write(render(opts.format, diags, sources, { toolVersion: VERSION }));
}

/** A compiled spec with its model and graph, or exit code 1 after printing the spec's problems. */
export function compiledOrExit(c: CompiledSpec, opts: OutputOptions): (CompiledSpec & { model: ModelInfo; graph: Graph }) | number {
  if (c.model && c.graph) return { ...c, model: c.model, graph: c.graph };
  emitDiagnostics(c.diagnostics, c.program.sources, opts);
  return 1;
}

/** `file:line:col (the line)` of a graph node's place in the spec, read from the file (or the standard library); the file alone when it cannot be read. */
export function describeSource(src: Source | undefined): string {
  if (!src) return "an unknown place";
  let text = loadStd().sources.get(src.file);
  try {
    text ??= readFileSync(src.file, "utf8");
  } catch {
    return src.file;
  }
  const index = lineIndex(text);
  const { line, column } = position(index, src.loc.start);
  const lineText = text.slice(index.starts[line - 1], index.starts[line] ?? text.length).trim();
  return `${src.file}:${line}:${column} (${lineText.length > 80 ? `${lineText.slice(0, 77)}...` : lineText})`;
}
