/**
 * Offsets, positions and URIs. LSP positions are 0-based lines and characters
 * counted in UTF-16 code units (the protocol's default encoding, which this
 * server keeps). seqc's offsets and its diagnostics' 1-based columns count
 * UTF-16 code units too (they index JavaScript strings), so a column becomes a
 * character by subtracting one, with no conversion of code points.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Position, Range } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";

/** The range of [start, end) in a document's text. */
export function rangeOf(doc: TextDocument, start: number, end: number): Range {
  return { start: doc.positionAt(start), end: doc.positionAt(Math.max(start, end)) };
}

/** A 1-based line and column (UTF-16 columns, as seqc's diagnostics count them) as an LSP position. */
export function positionOf(line: number, column: number): Position {
  return { line: line - 1, character: column - 1 };
}

/** The file: URI of an absolute path. */
export function uriOfPath(path: string): string {
  return pathToFileURL(path).href;
}

/** The absolute path of a file: URI; undefined for other schemes (an editor's unsaved buffer). */
export function pathOfUri(uri: string): string | undefined {
  return uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
}

/** A document for a text that is not open in the editor (an import, the standard library). */
export function documentOf(uri: string, text: string): TextDocument {
  return TextDocument.create(uri, "seq", 0, text);
}
