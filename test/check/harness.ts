/** Test harness: check a spec given inline and compare its errors as "CODE line:col" strings. */
import type { CheckResult } from "../../src/check/check.js";
import { primaryLabel } from "../../src/diagnostics/diagnostic.js";
import { position } from "../../src/diagnostics/render/lines.js";
import { checkSpec } from "../../src/driver.js";
import { inline } from "../helpers/spec.js";

/** Checks `text` as the file `spec.seq`; imports resolve against `files`. */
export function check(text: string, files: Record<string, string> = {}): CheckResult {
  return checkSpec("spec.seq", inline(text, files));
}

function lineCol(text: string, offset: number): string {
  const { line, column } = position(text, offset);
  return `${line}:${column}`;
}

/** The errors of a spec as `SEQ0301 7:11` (primary label position in spec.seq, or `file:` prefixed for other files). */
export function errors(text: string, files: Record<string, string> = {}): string[] {
  return check(text, files).diagnostics.map((d) => {
    const p = primaryLabel(d)!;
    const src = p.file === "spec.seq" ? text : files[p.file];
    const where = src === undefined ? `${p.file}@${p.start}` : `${p.file === "spec.seq" ? "" : `${p.file}:`}${lineCol(src, p.start)}`;
    return `${d.code} ${where}`;
  });
}

/** The messages of a spec's diagnostics. */
export function messages(text: string): string[] {
  return check(text).diagnostics.map((d) => d.message);
}
