/**
 * What model.ts calls things, in one place: the buffers (identifiers from the
 * kernel program's names for them, never a JavaScript keyword or a name the
 * emitted code uses itself), the variables of size expressions (`$B`, `$k`,
 * `$t`, `$D_T` for the unit value of dim T), and size expressions as
 * TypeScript text, written in the form the kernel program built them.
 */
import type { BufferDecl, E, Label, SizeVar } from "../../kernel/program.js";
import { Names } from "../names.js";

/** JavaScript reserved words and names the emitted code uses itself. */
const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null " +
    "return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await " +
    "arguments eval undefined NaN Infinity Math Object Array Number String Float32Array Float64Array Int32Array gemm INFO Model createModel dims batch " +
    "constructor __proto__ info params grads layout maxBatch B initial init forward backward value lossValue finalStates setInitialStates").split(" "),
);

/** A label's text, with the buffers it mentions by their identifiers. */
export function labelText(label: Label, bufs: readonly string[]): string {
  return label.map((part) => (typeof part === "string" ? part : bufs[part.buf]!)).join("");
}

/** The identifiers of a program's buffers, by BufId. */
export function bufferNames(buffers: readonly BufferDecl[]): string[] {
  const names = new Names(RESERVED);
  const out: string[] = [];
  for (const b of buffers) out.push(names.take(labelText(b.name, out)));
  return out;
}

/** The emitted name of a size variable. */
export function varName(v: SizeVar): string {
  switch (v.k) {
    case "dim": return `$D_${v.name}`;
    case "batch": return "$B";
    case "step": return "$k";
    case "time": return "$t";
  }
}

/** A size expression as TypeScript: sums and differences left to right, products of parenthesised terms (`$B * ($D_T * 4)`). */
export function sizeText(e: E): string {
  switch (e.k) {
    case "num": return String(e.v);
    case "add": return `${sizeText(e.a)} + ${sizeText(e.b)}`;
    case "sub": return `${sizeText(e.a)} - ${paren(e.b)}`;
    case "mul": return `${paren(e.a)} * ${paren(e.b)}`;
    default: return varName(e);
  }
}

/** A size as one term: parenthesised unless it is a number or a variable. */
export function paren(e: E): string {
  return e.k === "add" || e.k === "sub" || e.k === "mul" ? `(${sizeText(e)})` : sizeText(e);
}
