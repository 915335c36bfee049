/** IR equality that ignores source offsets (the same spec printed differently has other offsets). */
import type { IrModule } from "./ir.js";

const POSITION_KEYS = new Set(["loc", "nameLoc", "calleeLoc", "valueLoc"]);

/** The IR without offsets, as canonical JSON text. */
export function withoutOffsets(ir: IrModule): string {
  return JSON.stringify(ir, (k, v) => (POSITION_KEYS.has(k) ? undefined : v));
}

export function sameIr(a: IrModule, b: IrModule): boolean {
  return withoutOffsets(a) === withoutOffsets(b);
}
