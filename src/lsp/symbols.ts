/** textDocument/documentSymbol: the outline of a spec (models, cells, fns, dims, vocabularies, and what each declares). */
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver";
import type { SpecSymbol } from "../api.js";
import type { Analysis } from "./analysis.js";
import { rangeOf } from "./positions.js";

export const SYMBOL_KINDS: Record<SpecSymbol["kind"], SymbolKind> = {
  model: SymbolKind.Module,
  cell: SymbolKind.Class,
  fn: SymbolKind.Function,
  dim: SymbolKind.Constant,
  vocab: SymbolKind.Enum,
  input: SymbolKind.Variable,
  target: SymbolKind.Variable,
  value: SymbolKind.Variable,
  param: SymbolKind.Field,
  state: SymbolKind.Property,
  const: SymbolKind.Constant,
  option: SymbolKind.TypeParameter,
  op: SymbolKind.Operator,
  initialiser: SymbolKind.Constant,
  optimizer: SymbolKind.Function,
  setting: SymbolKind.Property,
};

/** The detail an outline shows beside a name: a shape, a binding, a parameter total. */
function outlineDetail(s: SpecSymbol): string {
  if (s.shape) return s.shape;
  if (s.kind === "cell" || s.kind === "fn") return s.detail.slice(s.detail.indexOf(s.name) + s.name.length);
  if (s.kind === "model" && s.params) return `${s.params.symbolic} params`;
  if (s.kind === "dim" || s.kind === "vocab") return s.detail.replace(/^(dim|vocab) /, "").slice(s.name.length).trim();
  return "";
}

function toDocumentSymbol(a: Analysis, s: SpecSymbol): DocumentSymbol[] {
  if (!s.site) return [];
  const out: DocumentSymbol = {
    name: s.name,
    kind: SYMBOL_KINDS[s.kind],
    range: rangeOf(a.document, s.site.start, s.site.end),
    selectionRange: rangeOf(a.document, s.site.nameStart, s.site.nameEnd),
  };
  const detail = outlineDetail(s);
  if (detail) out.detail = detail;
  if (s.children) out.children = s.children.flatMap((c) => toDocumentSymbol(a, c));
  return [out];
}

/** The document's outline, nested. */
export function documentSymbols(a: Analysis): DocumentSymbol[] {
  return a.inspection.outline().flatMap((s) => toDocumentSymbol(a, s));
}
