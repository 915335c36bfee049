/**
 * What model.ts calls things, in one place: the variables of size expressions
 * (`$B`, `$k`, `$t`, `$D_T` for the unit value of dim T), and size expressions
 * as TypeScript text, written in the form the kernel program built them.
 */
import type { E, SizeVar } from "../../kernel/program.js";

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
