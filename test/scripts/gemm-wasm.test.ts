/**
 * src/runtime/gemm-wasm.ts is what scripts/gemm-wasm.ts makes of
 * src/runtime/gemm.wat today (it is committed, so a stale copy would ship),
 * and the module holds what gemm-simd.ts calls.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { assemble, expandMadd, generated, moduleText, OUT_PATH } from "../../scripts/gemm-wasm.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Node's WebAssembly (this project's lib and @types/node declare no value for it). */
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean; Module: { new (bytes: Uint8Array): object; exports(module: object): { kind: string; name: string }[] } } }).WebAssembly;

describe("the assembled SIMD matrix product", () => {
  it(`${OUT_PATH} is up to date with gemm.wat (else run \`npm run gen:wasm\`)`, async () => {
    expect(readFileSync(join(ROOT, OUT_PATH), "utf8") === (await generated()), `${OUT_PATH} is stale: run \`npm run gen:wasm\``).toBe(true);
  });

  it.each(["simd", "fma"] as const)("%s build: exports the memory, a product and a packing of B per element type, the f32 vector math and Adam, and validates", async (build) => {
    const bytes = await assemble(build);
    expect(wasm.validate(bytes)).toBe(true);
    const exports = wasm.Module.exports(new wasm.Module(bytes)).map((e) => `${e.kind} ${e.name}`);
    expect(exports.sort()).toEqual(["function adam_f32", "function gemm_f32", "function gemm_f64", "function packb_f32", "function packb_f64", "function vmath_f32", "memory memory"]);
  });

  it("writes {MADD} a b c as one relaxed_madd in the fma build and as a mul and an add in the other, nested ones too", () => {
    const text = "(local.set $c ({MADD} (local.get $x) (f32x4.splat (f32.const 2))\n (local.get $c)))";
    expect(expandMadd(text, "fma", "f32x4")).toBe("(local.set $c (f32x4.relaxed_madd (local.get $x) (f32x4.splat (f32.const 2)) (local.get $c)))");
    expect(expandMadd(text, "simd", "f32x4")).toBe("(local.set $c (f32x4.add (local.get $c) (f32x4.mul (local.get $x) (f32x4.splat (f32.const 2)))))");
    expect(expandMadd("({MADD} ({MADD} (a) (b) (c)) (d) (e))", "simd", "V")).toBe("(V.add (e) (V.mul (V.add (c) (V.mul (a) (b))) (d)))");
    expect(() => expandMadd("({MADD} (a) (b))", "fma", "V")).toThrow(/three s-expressions/);
    expect(() => expandMadd("({MADD} (a) (b) (c", "fma", "V")).toThrow(/unbalanced/);
  });

  it("the baseline build has no relaxed SIMD instruction, and relaxed_madd is the fma build's only difference", async () => {
    const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
    const simd = moduleText(read("src/runtime/gemm.wat"), read("src/runtime/vmath.wat") + read("src/runtime/optim.wat"), "simd");
    const fma = moduleText(read("src/runtime/gemm.wat"), read("src/runtime/vmath.wat") + read("src/runtime/optim.wat"), "fma");
    expect(simd).not.toMatch(/relaxed/);
    expect(fma.match(/relaxed_madd/g)!.length).toBe(simd.match(/\.mul \(/g)!.length - fma.match(/\.mul \(/g)!.length);
  });

  it("refuses a placeholder it does not know", () => {
    expect(() => moduleText("(func $f_{T} {NOPE})")).toThrow(/unknown placeholder \{NOPE\}/);
  });
});
