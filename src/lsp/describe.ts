/**
 * A symbol in words, for hovers and completion documentation: what it is and
 * where it belongs, its shape and dtype with the bound dims it uses, its
 * parameter count, a dim's or vocabulary's binding, a cell's or fn's params as
 * each model creates them, then its comments.
 */
import type { Count, SpecSymbol } from "../api.js";

const KIND_WORDS: Record<SpecSymbol["kind"], string> = {
  model: "model",
  cell: "cell (one time step; applied to a sequence it scans)",
  fn: "fn (stateless; applied to extra leading axes it maps)",
  dim: "dim",
  vocab: "vocabulary",
  input: "input",
  target: "target",
  value: "value",
  param: "param",
  state: "state",
  const: "const (a fixed tensor, not trained)",
  option: "compile-time option",
  op: "builtin op",
  initialiser: "initialiser",
  optimizer: "optimizer",
  setting: "training setting",
};

/** `4*H*X + 4*H`, or `4*H*H + 4*H = 66,048` when every dim is bound. */
export function formatCount(c: Count): string {
  if (c.value === null) return c.symbolic;
  const n = c.value.toLocaleString("en-US");
  return c.symbolic === String(c.value) ? n : `${c.symbolic} = ${n}`;
}

/** What a symbol is, in one line: `value of model char_lstm · float32 · where H = 128`. */
export function summaryLine(s: SpecSymbol): string {
  const parts = [`${KIND_WORDS[s.kind]}${s.container ? ` of ${s.container.kind} ${s.container.name}` : ""}${s.std ? " (standard library)" : ""}`];
  if (s.dtype) parts.push(s.vocab ? `${s.dtype} token ids of ${s.vocab}` : s.dtype);
  if (s.where) parts.push(`where ${s.where}`);
  return parts.join(" · ");
}

/** The facts beyond the first line, as Markdown lines. */
export function factLines(s: SpecSymbol): string[] {
  const lines: string[] = [];
  // `dim H = 64` says its binding already.
  if (s.binding && s.detail !== `dim ${s.binding}`) lines.push(s.binding);
  if (s.params && (s.params.value !== 0 || s.kind === "model")) {
    const what = s.kind === "value" ? "params created here" : s.kind === "param" ? "count" : s.kind === "model" ? "total params" : "params per application";
    lines.push(`${what}: \`${formatCount(s.params)}\``);
  }
  for (const i of s.instances ?? []) lines.push(`- in model ${i.model}: \`${i.name}: ${i.shape}\`, ${formatCount(i.count)}`);
  for (const n of s.notes ?? []) lines.push(n);
  return lines;
}
