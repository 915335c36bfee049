/** textDocument/hover: the checker's facts about the name under the cursor (see describe.ts). */
import { MarkupKind, type Hover, type Position } from "vscode-languageserver";
import type { Analysis } from "./analysis.js";
import { factLines, summaryLine } from "./describe.js";
import { rangeOf } from "./positions.js";

/**
 *   h = lstm<H>(one_hot(x))   hover on h ->
 *     ```seq
 *     h: [T, H]
 *     ```
 *     value of model char_lstm · float32 · where H = 128
 *     params created here: `4*H*H + 4*H*V + 4*H`
 */
export function hover(a: Analysis, position: Position): Hover | null {
  const at = a.inspection.at(a.document.offsetAt(position));
  if (!at) return null;
  const s = at.symbol;
  const blocks = ["```seq\n" + s.detail + "\n```", summaryLine(s)];
  // A use whose type differs from its declaration's words (`enc.c` is the scan's final state, in the model's dims).
  if (at.shape && !at.declaration && at.shape !== s.shape) blocks.push(`here: \`${at.shape}\``);
  const typed = s.kind === "value" || s.kind === "input" || s.kind === "target" || s.kind === "param" || s.kind === "state";
  if (typed && !s.shape && !at.shape) blocks.push(a.inspection.diagnostics.some((d) => d.code === "SEQ0002" || d.code === "SEQ0001") ? "no shape until the spec parses" : "no shape: the checker could not type it");
  const facts = factLines(s);
  if (facts.length > 0) blocks.push(facts.join("\n"));
  if (s.doc) blocks.push(s.doc);
  return { contents: { kind: MarkupKind.Markdown, value: blocks.join("\n\n") }, range: rangeOf(a.document, at.start, at.end) };
}
