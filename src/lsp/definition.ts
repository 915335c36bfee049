/** textDocument/definition: where the name under the cursor is declared, in the document, an import or the standard library. */
import type { Location, Position } from "vscode-languageserver";
import type { Analysis } from "./analysis.js";
import { rangeOf } from "./positions.js";

/** The declaration's name as a location (none for builtins: ops, initialisers, optimizers, settings). */
export function definition(a: Analysis, position: Position): Location | null {
  const site = a.inspection.at(a.document.offsetAt(position))?.symbol.site;
  if (!site) return null;
  const uri = a.uriOf(site.file);
  const doc = a.documentOf(site.file);
  if (!uri || !doc) return null;
  return { uri, range: rangeOf(doc, site.nameStart, site.nameEnd) };
}
