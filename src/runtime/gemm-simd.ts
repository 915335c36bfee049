/**
 * The matrix product on WebAssembly SIMD: gemm.wat (f32x4 for Float32Array C,
 * f64x2 for Float64Array C), assembled into gemm-wasm.ts. A model's float
 * buffers live in the memory of an instance of their own (`floats`), where the
 * module multiplies them in place; other operands are copied into a shared
 * instance's memory (a typed-array `set` per operand, or per row when the
 * leading dim is far larger than the row), multiplied there, and C is copied
 * back. Copied verbatim into the output: it uses no Node built-ins
 * (WebAssembly and atob are globals of Node and of browsers) and imports only
 * the runtime.
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
type WasmGemm = (m: number, n: number, k: number, a: number, ai: number, ap: number, b: number, bp: number, bj: number, c: number, ldc: number, acc: number, pa: number, pb: number, bpk: number) => void;
/** gemm.wat's packb_f32 and packb_f64. */
type WasmPackB = (k: number, n: number, b: number, bp: number, bj: number, dst: number) => void;
/** optim.wat's adam_f32. */
type WasmAdam = (n: number, p: number, g: number, m: number, v: number, lr: number, beta1: number, beta2: number, c1: number, c2: number, eps: number) => void;

/** gemm.wat's depth block (KC) and row block (MC) of its packed operands. */
const KC = 256;
const MC = 128;
/** Bytes at the start of the memory that gemm.wat keeps for its edge tile. */
const TILE = 128;
const PAGE = 65536;

/** What the module gives the runtime: the product, and float buffers it reads in place. */
export interface Simd {
  /** gemm.ts's product: in place when A, B and C are buffers of one `floats` block, else through copies. */
  gemm: Gemm;
  /**
   * Float buffers of these lengths in the WebAssembly memory of an instance of
   * their own (16-byte aligned, zeroed), which the product reads and writes in
   * place; undefined when the memory cannot grow that far (the caller then
   * allocates plain arrays). That memory never grows again, so the views stay
   * attached.
   */
  floats<A extends Buf>(F: FloatArrayType<A>, lengths: number[]): A[] | undefined;
  /** gemm.ts's adamF32: true when done (all four Float32Arrays of one `floats` block, of one length). */
  adam(p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, c1: number, c2: number, eps: number): boolean;
  /** gemm.ts's packB: true when B and `into` are in one `floats` block, where gemm then reads B packed. */
  packB(into: Buf, k: number, n: number, b: Buf, bOff: number, ldb: number, transB: boolean): boolean;
  /**
   * y(i, j) = f(x(i, j)) for i < rows, j < cols, x(i, j) at x[xOff + i*xStride + j] (y alike), on
   * f32x4 (vmath.wat: exp within 1-2 ulp of f32) when x and y are Float32Arrays of one `floats`
   * block; false, doing nothing, otherwise. y may be x.
   */
  vmath(f: VmathFn, rows: number, cols: number, x: Buf, xOff: number, xStride: number, y: Buf, yOff: number, yStride: number): boolean;
  /** The exports of another module (base64) instantiated on the memory of buf's `floats` block (imported as m.memory); undefined when buf is not in one. */
  onMemoryOf(base64: string, buf: Buf): Record<string, unknown> | undefined;
}

/** The functions of vmath.wat, by the number it takes. */
export const VMATH = { exp: 0, sigmoid: 1, tanh: 2 } as const;
export type VmathFn = keyof typeof VMATH;

/** Float32Array or Float64Array, as the constructor of its arrays. */
export interface FloatArrayType<A extends Buf> {
  new (length: number): A;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/** An instance's exports that the product calls. */
interface Kernels {
  memory: WasmMemory;
  gemmF32: WasmGemm;
  gemmF64: WasmGemm;
  packbF32: WasmPackB;
  packbF64: WasmPackB;
  adamF32: WasmAdam;
  vmathF32: (f: number, rows: number, cols: number, src: number, ss: number, dst: number, ds: number) => void;
}

/** The memory of an instance of `floats`, by its buffer: its products need no copies. */
const inPlace = new WeakMap<ArrayBuffer, Kernels>();

/** Bytes of an instance's scratch: the edge tile, a packed block of A (MC x KC, f64 at most), a packed panel of B (KC x 32 bytes). */
const SCRATCH = TILE + MC * KC * 8 + KC * 32;

/**
 * The SIMD runtime from the module's bytes in base64, or undefined where
 * WebAssembly SIMD is missing (the module does not validate) or cannot be
 * compiled here. Products of operands outside every `floats` block are copied
 * into the memory of one shared instance, which grows to the largest product
 * seen: its operands as copied (A, B, C) plus a packed block of at most 128 x
 * 256 of A and a packed panel of 256 rows of B.
 */
export function simdRuntime(base64: string): Simd | undefined {
  const g = globalThis as { WebAssembly?: WasmApi; atob?: (text: string) => string };
  const wasm = g.WebAssembly;
  if (wasm === undefined || g.atob === undefined) return undefined;
  const decode = (b64: string) => {
    const text = g.atob!(b64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  };
  const bytes = decode(base64);
  let module: object;
  try {
    if (!wasm.validate(bytes)) return undefined;
    module = new wasm.Module(bytes);
  } catch {
    return undefined;
  }
  const instance = (): Kernels => {
    const exports = new wasm.Instance(module, {}).exports;
    return {
      memory: exports.memory as WasmMemory,
      gemmF32: exports.gemm_f32 as WasmGemm,
      gemmF64: exports.gemm_f64 as WasmGemm,
      packbF32: exports.packb_f32 as WasmPackB,
      packbF64: exports.packb_f64 as WasmPackB,
      adamF32: exports.adam_f32 as WasmAdam,
      vmathF32: exports.vmath_f32 as Kernels["vmathF32"],
    };
  };
  let shared: Kernels;
  try {
    shared = instance();
  } catch {
    return undefined;
  }
  const { memory } = shared;
  let buffer = memory.buffer;
  let f32 = new Float32Array(buffer);
  let f64 = new Float64Array(buffer);

  const gemm: Gemm = (m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate, packedB) => {
    if (emptyProduct(m, n, k, c, cOff, ldc, accumulate)) return;
    const wide = c instanceof Float64Array;
    const size = wide ? 8 : 4;
    const own = inPlace.get(c.buffer as ArrayBuffer);
    if (own !== undefined && a.buffer === c.buffer && b.buffer === c.buffer) {
      // All three in one block's memory: byte addresses of the operands as they are.
      (wide ? own.gemmF64 : own.gemmF32)(
        m, n, k,
        a.byteOffset + aOff * size, (transA ? 1 : lda) * size, (transA ? lda : 1) * size,
        b.byteOffset + bOff * size, (transB ? 1 : ldb) * size, (transB ? ldb : 1) * size,
        c.byteOffset + cOff * size, ldc * size, accumulate ? 1 : 0, TILE, TILE + MC * KC * 8,
        packedB !== undefined && packedB.buffer === c.buffer ? packedB.byteOffset : 0,
      );
      return;
    }
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
    (wide ? shared.gemmF64 : shared.gemmF32)(
      m, n, k,
      aAt, (transA ? 1 : ldaW) * size, (transA ? ldaW : 1) * size,
      bAt, (transB ? 1 : ldbW) * size, (transB ? ldbW : 1) * size,
      cAt, ldcW * size, accumulate ? 1 : 0, paAt, pbAt, 0,
    );
    put(c, cOff, view, cAt / size, m, n, ldcW, ldc);
  };

  const floats = <A extends Buf>(F: FloatArrayType<A>, lengths: number[]): A[] | undefined => {
    const starts: number[] = [];
    let end = aligned(SCRATCH);
    for (const n of lengths) {
      starts.push(end);
      end = aligned(end + n * F.BYTES_PER_ELEMENT);
    }
    let own: Kernels;
    try {
      own = instance();
      const have = own.memory.buffer.byteLength;
      if (end > have) own.memory.grow(Math.ceil((end - have) / PAGE));
    } catch {
      return undefined;
    }
    const block = own.memory.buffer;
    inPlace.set(block, own);
    return lengths.map((n, i) => new F(block, starts[i]!, n));
  };

  const packB = (into: Buf, k: number, n: number, b: Buf, bOff: number, ldb: number, transB: boolean): boolean => {
    const own = inPlace.get(into.buffer as ArrayBuffer);
    if (own === undefined || b.buffer !== into.buffer || b.constructor !== into.constructor || k < 1 || n < 1) return false;
    const size = into.BYTES_PER_ELEMENT;
    (size === 8 ? own.packbF64 : own.packbF32)(k, n, b.byteOffset + bOff * size, (transB ? 1 : ldb) * size, (transB ? ldb : 1) * size, into.byteOffset);
    return true;
  };

  const adam = (p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, c1: number, c2: number, eps: number): boolean => {
    const own = inPlace.get(p.buffer as ArrayBuffer);
    const n = p.length;
    if (own === undefined || !(p instanceof Float32Array) || ![g, m, v].every((x) => x instanceof Float32Array && x.buffer === p.buffer && x.length === n)) return false;
    own.adamF32(n, p.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, lr, beta1, beta2, c1, c2, eps);
    return true;
  };

  const vmath = (f: VmathFn, rows: number, cols: number, x: Buf, xOff: number, xStride: number, y: Buf, yOff: number, yStride: number): boolean => {
    const own = inPlace.get(y.buffer as ArrayBuffer);
    if (own === undefined || x.buffer !== y.buffer || !(y instanceof Float32Array)) return false;
    own.vmathF32(VMATH[f], rows, cols, x.byteOffset + xOff * 4, xStride * 4, y.byteOffset + yOff * 4, yStride * 4);
    return true;
  };

  const onMemoryOf = (other: string, buf: Buf): Record<string, unknown> | undefined => {
    const own = inPlace.get(buf.buffer as ArrayBuffer);
    if (own === undefined) return undefined;
    return new wasm.Instance(new wasm.Module(decode(other)), { m: { memory: own.memory } }).exports;
  };

  return { gemm, floats, packB, adam, vmath, onMemoryOf };
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
