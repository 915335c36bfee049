/** textDocument/completion: the names in scope, cells and fns (the user's and the standard library's), builtins, and `train {}` settings. */
import { CompletionItemKind, MarkupKind, type CompletionItem, type Position } from "vscode-languageserver";
import type { SpecSymbol } from "../api.js";
import type { Analysis } from "./analysis.js";
import { factLines, summaryLine } from "./describe.js";

export const COMPLETION_KINDS: Record<SpecSymbol["kind"], CompletionItemKind> = {
  model: CompletionItemKind.Module,
  cell: CompletionItemKind.Class,
  fn: CompletionItemKind.Function,
  dim: CompletionItemKind.Constant,
  vocab: CompletionItemKind.Enum,
  input: CompletionItemKind.Variable,
  target: CompletionItemKind.Variable,
  value: CompletionItemKind.Variable,
  param: CompletionItemKind.Field,
  const: CompletionItemKind.Constant,
  state: CompletionItemKind.Property,
  option: CompletionItemKind.TypeParameter,
  op: CompletionItemKind.Function,
  initialiser: CompletionItemKind.Value,
  optimizer: CompletionItemKind.Function,
  setting: CompletionItemKind.Property,
};

/** Names declared in the spec first, then cells and fns, then builtins. */
function rank(s: SpecSymbol): string {
  if (s.kind === "cell" || s.kind === "fn") return s.std ? "2" : "1";
  return s.site ? "0" : "3";
}

/** Every completion at a position, ranked (the editor filters by what is typed). */
export function completion(a: Analysis, position: Position): CompletionItem[] {
  const seen = new Set<string>();
  const items: CompletionItem[] = [];
  for (const s of a.inspection.completions(a.document.offsetAt(position))) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    const item: CompletionItem = { label: s.name, kind: COMPLETION_KINDS[s.kind], detail: s.detail, sortText: `${rank(s)}${s.name}` };
    const doc = [summaryLine(s), ...factLines(s), ...(s.doc ? [s.doc] : [])].join("\n\n");
    item.documentation = { kind: MarkupKind.Markdown, value: doc };
    if (s.kind === "setting") item.insertText = `${s.name}: `;
    items.push(item);
  }
  return items;
}
