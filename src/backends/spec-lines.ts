/**
 * The spec lines that emitted code quotes in its comments (ts and pytorch
 * targets): where a value comes from, as `file:line: text`, on one line.
 */
import { lineIndex, position } from "../diagnostics/render/lines.js";
import type { Source } from "../graph/graph.js";

/** A comment's text on one line: no line terminators. */
export function commentText(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, " ");
}

/** `file:line: the line's text` of a place in the spec (the file alone when its text is unknown), or undefined without one. */
export function specLine(src: Source | undefined, sources: Map<string, string>): string | undefined {
  if (src === undefined) return undefined;
  const spec = sources.get(src.file);
  if (spec === undefined) return src.file;
  const index = lineIndex(spec);
  const { line } = position(index, src.loc.start);
  return `${src.file}:${line}: ${spec.slice(index.starts[line - 1], index.starts[line] ?? spec.length).trim()}`;
}
