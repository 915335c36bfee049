/**
 * `seqc graph SPEC -o FILE`: the model as a diagram. The DOT text is the
 * graph's (src/graph/dot.ts); an .svg is rendered offline by Graphviz compiled
 * to WebAssembly (src/graph/svg.ts, loaded only for an .svg). Graphviz in
 * WebAssembly has no PNG renderer, so the formats are svg and dot.
 *
 * Exit codes: 0 done; 1 the spec has errors; 2 usage (an unknown model or
 * format) or an unwritable output.
 */
import { compileSpec } from "../../driver.js";
import { graphDot, type Rankdir } from "../../graph/dot.js";
import { dotToSvg } from "../../graph/svg.js";
import { specFiles, UsageError, writeAtomic } from "../io.js";
import { compiledOrExit, type OutputOptions } from "../output.js";
import { GRAPH_FORMATS, type GraphFormat } from "../options.js";

export interface GraphOptions extends OutputOptions {
  /** The file to write; standard output without one. */
  out?: string;
  /** svg or dot; without one, the output file's extension says (.svg, .dot or .gv), else svg. */
  to?: GraphFormat;
  model?: string;
  dims?: ReadonlyMap<string, number>;
  expand: boolean;
  rankdir: Rankdir;
}

/** The format to write: the one asked for, else the output file's extension's. */
function graphFormat(out: string | undefined, to: GraphFormat | undefined): GraphFormat {
  if (to !== undefined) return to;
  if (out === undefined || /\.svg$/i.test(out)) return "svg";
  if (/\.(dot|gv)$/i.test(out)) return "dot";
  throw new UsageError(`graph -o ${out}: write a .svg, .dot or .gv file, or say which with --to ${GRAPH_FORMATS.join("|")} (there is no PNG: Graphviz in WebAssembly renders SVG)`);
}

export async function runGraph(spec: string, opts: GraphOptions): Promise<number> {
  const format = graphFormat(opts.out, opts.to);
  const compiled = compiledOrExit(compileSpec(spec, { ...specFiles(spec, opts.model), ...(opts.dims ? { dims: opts.dims } : {}) }), opts);
  if (typeof compiled === "number") return compiled;
  const { program, model: info, graph } = compiled;
  const dot = graphDot(graph, info, { expand: opts.expand, rankdir: opts.rankdir, sources: program.sources });
  const text = format === "dot" ? dot : await dotToSvg(dot);
  if (opts.out === undefined) process.stdout.write(text);
  else writeAtomic(opts.out, text);
  return 0;
}

