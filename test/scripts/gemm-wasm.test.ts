/**
 * src/runtime/gemm-wasm.ts is what scripts/gemm-wasm.ts makes of
 * src/runtime/gemm.wat today (it is committed, so a stale copy would ship),
 * and the module holds what gemm-simd.ts calls.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble, generatedModule, moduleText, OUT_PATH } from "../../scripts/gemm-wasm.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Node's WebAssembly (this project's lib and @types/node declare no value for it). */
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean; Module: { new (bytes: Uint8Array): object; exports(module: object): { kind: string; name: string }[] } } }).WebAssembly;

describe("the assembled SIMD matrix product", () => {
  it(`${OUT_PATH} is up to date with gemm.wat (else run \`npm run gen:wasm\`)`, async () => {
    const bytes = await assemble();
    expect(readFileSync(join(ROOT, OUT_PATH), "utf8") === generatedModule(bytes), `${OUT_PATH} is stale: run \`npm run gen:wasm\``).toBe(true);
  });

  it("exports the memory, a product per element type and the f32 vector math, and validates with SIMD", async () => {
    const bytes = await assemble();
    expect(wasm.validate(bytes)).toBe(true);
    const exports = wasm.Module.exports(new wasm.Module(bytes)).map((e) => `${e.kind} ${e.name}`);
    expect(exports.sort()).toEqual(["function gemm_f32", "function gemm_f64", "function vmath_f32", "memory memory"]);
  });

  it("refuses a placeholder it does not know", () => {
    expect(() => moduleText("(func $f_{T} {NOPE})")).toThrow(/unknown placeholder \{NOPE\}/);
  });
});
