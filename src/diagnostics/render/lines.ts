/**
 * Offsets to lines and columns. Diagnostics carry 0-based UTF-16 offsets; the
 * renderers show 1-based lines and columns, computed here. Lines end at "\n"
 * (so "\r\n" too); a column never points into a line's terminator.
 */
import type { Label, Sources } from "../diagnostic.js";

/** The start offset of every line of a text, in increasing order. */
export interface LineIndex {
  readonly text: string;
  readonly starts: readonly number[];
}

/** A 1-based line and column (the column counts UTF-16 code units). */
export interface Position {
  line: number;
  column: number;
}

/** A range of positions; the end column is one past the last character, as in SARIF. */
export interface Range {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Indexes of recently seen texts, oldest first; bounded so a long-running process does not keep every text alive. */
const cache = new Map<string, LineIndex>();
const CACHE_SIZE = 32;

/** Returns the line index of `text`, from a small cache when it was indexed recently. */
export function lineIndex(text: string): LineIndex {
  const cached = cache.get(text);
  if (cached) return cached;
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  const index: LineIndex = { text, starts };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(text, index);
  return index;
}

/** The index of the last of ascending `starts` that is at or before `offset` (0 when none is): the line, or statement, an offset falls in. */
export function startAtOrBefore(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The 1-based line and column of a 0-based offset. Offsets are clamped into
 * the text (past the end means the end); an offset inside a "\r\n" or "\n"
 * terminator is reported as the end of its line.
 */
export function position(source: string | LineIndex, offset: number): Position {
  const { text, starts } = typeof source === "string" ? lineIndex(source) : source;
  const at = Math.min(Math.max(offset, 0), text.length);
  const lo = startAtOrBefore(starts, at);
  const lineStart = starts[lo];
  let contentEnd = text.length;
  if (lo + 1 < starts.length) {
    contentEnd = starts[lo + 1] - 1;
    if (contentEnd > lineStart && text[contentEnd - 1] === "\r") contentEnd--;
  }
  return { line: lo + 1, column: Math.min(at, contentEnd) - lineStart + 1 };
}

/** The range a label covers, or undefined when its file is not among the sources. */
export function labelRange(label: Label, sources: Sources): Range | undefined {
  const text = sources.get(label.file);
  if (text === undefined) return undefined;
  const index = lineIndex(text);
  const start = position(index, label.start);
  const end = position(index, Math.max(label.end, label.start));
  return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}
