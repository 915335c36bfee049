/**
 * The matrix product on WebAssembly SIMD: gemm.wat (f32x4 for Float32Array C,
 * f64x2 for Float64Array C), assembled into gemm-wasm.ts. The operands are
 * copied into the module's memory (a typed-array `set` per operand, or per
 * row when the leading dim is far larger than the row), the module packs and
 * multiplies them there, and C is copied back. Copied verbatim into the
 * output: it uses no Node built-ins (WebAssembly and atob are globals of
 * Node and of browsers) and imports only the runtime.
 */
import { emptyProduct } from "./gemm-js.js";
import type { Buf, Gemm } from "./model-api.js";


/** The parts of the WebAssembly API used here (lib ES2022 has none of it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** gemm.wat's gemm_f32 and gemm_f64: byte addresses and byte strides in its memory. */
type WasmGemm = (m: number, n: number, k: number, a: number, ai: number, ap: number, b: number, bp: number, bj: number, c: number, ldc: number, acc: number, pa: number, pb: number) => void;

/** gemm.wat's depth block (KC) and row block (MC) of its packed operands. */
const KC = 256;
const MC = 128;
/** Bytes at the start of the memory that gemm.wat keeps for its edge tile. */
const TILE = 128;
const PAGE = 65536;

/**
 * The SIMD product from the module's bytes in base64, or undefined where
 * WebAssembly SIMD is missing (the module does not validate) or cannot be
 * compiled here. Its memory grows to the largest product seen: its operands
 * as copied (A, B, C) plus a packed block of at most 128 x 256 of A and a
 * packed panel of 256 rows of B.
 */
export function simdGemm(base64: string): Gemm | undefined {
  const g = globalThis as { WebAssembly?: WasmApi; atob?: (text: string) => string };
  const wasm = g.WebAssembly;
  if (wasm === undefined || g.atob === undefined) return undefined;
  const text = g.atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  let exports: Record<string, unknown>;
  try {
    if (!wasm.validate(bytes)) return undefined;
    exports = new wasm.Instance(new wasm.Module(bytes), {}).exports;
  } catch {
    return undefined;
  }
  const memory = exports.memory as WasmMemory;
  const gemmF32 = exports.gemm_f32 as WasmGemm;
  const gemmF64 = exports.gemm_f64 as WasmGemm;
  let buffer = memory.buffer;
  let f32 = new Float32Array(buffer);
  let f64 = new Float64Array(buffer);

  return function gemm(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate) {
    if (emptyProduct(m, n, k, c, cOff, ldc, accumulate)) return;
    const wide = c instanceof Float64Array;
    const size = wide ? 8 : 4;
    // A and B as stored: rows of `len` elements; their leading dims in memory.
    const aRows = transA ? k : m, aLen = transA ? m : k;
    const bRows = transB ? n : k, bLen = transB ? k : n;
    const ldaW = copiedLd(aLen, lda), ldbW = copiedLd(bLen, ldb);
    // C is read only to add to it; written back whole rows at a time.
    const ldcW = accumulate ? copiedLd(n, ldc) : n;
    const aAt = TILE;
    const bAt = aligned(aAt + ((aRows - 1) * ldaW + aLen) * size);
    const cAt = aligned(bAt + ((bRows - 1) * ldbW + bLen) * size);
    const paAt = aligned(cAt + ((m - 1) * ldcW + n) * size);
    const kc = k < KC ? k : KC;
    const pbAt = paAt + Math.min(m + 3, MC) * kc * size;
    const end = pbAt + kc * 32;
    if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      f32 = new Float32Array(buffer);
      f64 = new Float64Array(buffer);
    }
    const view = wide ? f64 : f32;
    put(view, aAt / size, a, aOff, aRows, aLen, lda, ldaW);
    put(view, bAt / size, b, bOff, bRows, bLen, ldb, ldbW);
    if (accumulate) put(view, cAt / size, c, cOff, m, n, ldc, ldcW);
    (wide ? gemmF64 : gemmF32)(
      m, n, k,
      aAt, (transA ? 1 : ldaW) * size, (transA ? ldaW : 1) * size,
      bAt, (transB ? 1 : ldbW) * size, (transB ? ldbW : 1) * size,
      cAt, ldcW * size, accumulate ? 1 : 0, paAt, pbAt,
    );
    put(c, cOff, view, cAt / size, m, n, ldcW, ldc);
  };
}

/** The leading dim of a copy of rows of len elements ld apart: ld itself (one copy of the span), or len when that would copy mostly gaps. */
function copiedLd(len: number, ld: number): number {
  return ld <= 2 * len ? ld : len;
}

/** The next multiple of 16 bytes (vector loads of the copies stay aligned). */
function aligned(at: number): number {
  return (at + 15) & ~15;
}

/**
 * Copies rows of len elements from src (at `from`, leading dim srcLd) to dst
 * (at `to`, leading dim dstLd): the whole span at once when the leading dims
 * agree (gaps included: they are copied back unchanged), else row by row.
 */
function put(dst: Buf, to: number, src: Buf, from: number, rows: number, len: number, srcLd: number, dstLd: number): void {
  if (srcLd === dstLd || rows === 1) {
    dst.set(src.subarray(from, from + (rows - 1) * srcLd + len), to);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(from + r * srcLd, from + r * srcLd + len), to + r * dstLd);
}
