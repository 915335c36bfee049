/**
 * Benchmark of the matrix product of the standalone TypeScript runtime
 * (../src/runtime/gemm.ts) on the shapes of the char-LM LSTM training
 * step of bench/tfjs.ts (B=32, T=50, V=64, H=128), each with the transpose and
 * accumulate flags the trainer uses, and on the small Elman toy (10x4 @ 4x4).
 * References timed in the same run, interleaved shape by shape: a naive
 * triple loop (dot product per element of C, same strides, in doubles), and
 * tf.matMul of @tensorflow/tfjs on the wasm backend (by default; its output
 * is a fresh tensor, and `+=` shapes would need an extra tf.add there, not
 * timed). Figures are GFLOP/s (2*m*n*k per call) from the fastest of several
 * timed batches (the estimate least disturbed by other processes; all three
 * implementations are timed the same way); the last lines estimate the matmul
 * time of one training step (50 x the per-time-step shapes + the output layer).
 */
import { gemm, type Buf } from "../src/runtime/gemm.js";
import { loadEngine, type BackendName, type Tf } from "../src/backends/tfjs/engine.js";

export interface GemmBenchOptions {
  /** Also time tf.matMul on this tfjs backend (default "wasm"); false to skip. */
  tfjs?: BackendName | false;
  /** Timed batches per implementation and shape (the fastest is reported); default 7. */
  batches?: number;
  /** Approximate milliseconds per timed batch; default 25. */
  batchMs?: number;
  log?: (line: string) => void;
}

interface Shape {
  name: string;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  /** Calls per training step. */
  perStep: number;
}

const B = 32;
const T = 50;
const V = 64;
const H = 128;
const G = 4 * H;

export const GEMM_SHAPES: Shape[] = [
  // Per time step (T times per training step).
  { name: "gates += h W_h", m: B, n: G, k: H, transA: false, transB: false, accumulate: true, perStep: T },
  { name: "dh = dgates W_h^T", m: B, n: H, k: G, transA: false, transB: true, accumulate: false, perStep: T },
  { name: "dW_h += h^T dgates", m: H, n: G, k: B, transA: true, transB: false, accumulate: true, perStep: T },
  // Output layer over all T*B positions at once.
  { name: "logits = H W_o", m: T * B, n: V, k: H, transA: false, transB: false, accumulate: false, perStep: 1 },
  { name: "dH = dlogits W_o^T", m: T * B, n: H, k: V, transA: false, transB: true, accumulate: false, perStep: 1 },
  { name: "dW_o = H^T dlogits", m: H, n: V, k: T * B, transA: true, transB: false, accumulate: false, perStep: 1 },
  // The small Elman benchmark: call overhead.
  { name: "elman toy", m: 10, n: 4, k: 4, transA: false, transB: false, accumulate: false, perStep: 0 },
];

/** The reference: one dot product per element of C, in doubles, same operand layout as gemm. */
export function naiveGemm(
  m: number,
  n: number,
  k: number,
  a: Buf,
  aOff: number,
  lda: number,
  transA: boolean,
  b: Buf,
  bOff: number,
  ldb: number,
  transB: boolean,
  c: Buf,
  cOff: number,
  ldc: number,
  accumulate: boolean,
): void {
  const ai = transA ? 1 : lda, ak = transA ? lda : 1;
  const bk = transB ? 1 : ldb, bj = transB ? ldb : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[aOff + i * ai + p * ak]! * b[bOff + p * bk + j * bj]!;
      const o = cOff + i * ldc + j;
      c[o] = accumulate ? c[o]! + s : s;
    }
  }
}

function random(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    x[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return x;
}

/**
 * Milliseconds per call of f: calls per batch sized from a first estimate so
 * that a batch takes about batchMs, a warm-up batch, then the fastest of `batches`.
 */
function msPerCall(f: () => void, batches: number, batchMs: number): number {
  let reps = 1;
  let t0 = performance.now();
  f();
  let dt = performance.now() - t0;
  while (dt < 2 && reps < 1 << 20) {
    reps *= 4;
    t0 = performance.now();
    for (let r = 0; r < reps; r++) f();
    dt = performance.now() - t0;
  }
  reps = Math.max(1, Math.round((reps * batchMs) / Math.max(dt, 1e-3)));
  for (let r = 0; r < reps; r++) f();
  const times: number[] = [];
  for (let q = 0; q < batches; q++) {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) f();
    times.push((performance.now() - t0) / reps);
  }
  return Math.min(...times);
}

interface Row {
  shape: Shape;
  gemmMs: number;
  naiveMs: number;
  tfMs?: number;
  maxErr: number;
}

async function loadTf(backend: BackendName | false, log: (l: string) => void): Promise<Tf | undefined> {
  if (backend === false) return undefined;
  try {
    const engine = await loadEngine(backend);
    const env = engine.tf.env();
    const flag = (name: string) => {
      try {
        return env.getBool(name);
      } catch {
        return undefined;
      }
    };
    const extra = backend === "wasm" ? ` (SIMD ${flag("WASM_HAS_SIMD_SUPPORT") ?? "?"}, threads ${flag("WASM_HAS_MULTITHREAD_SUPPORT") ?? "?"})` : "";
    log(`tfjs reference: tf.matMul on the ${engine.backend} backend${extra}`);
    return engine.tf;
  } catch (e) {
    log(`tfjs reference skipped: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export async function benchGemm(opts: GemmBenchOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const batches = opts.batches ?? 7;
  const batchMs = opts.batchMs ?? 25;
  const tf = await loadTf(opts.tfjs ?? "wasm", log);
  log(`gemm (../src/runtime/gemm.ts) on Float32Array, GFLOP/s = 2mnk / time, fastest of ${batches} batches of ~${batchMs} ms`);
  const rows: Row[] = [];
  for (const [si, shape] of GEMM_SHAPES.entries()) {
    const { m, n, k, transA, transB, accumulate } = shape;
    const a = random(m * k, 3 * si + 1);
    const b = random(k * n, 3 * si + 2);
    const c = random(m * n, 3 * si + 3);
    const lda = transA ? m : k;
    const ldb = transB ? k : n;
    // Agreement with the reference on one call (from the same C).
    const c1 = c.slice(), c2 = c.slice();
    gemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, c1, 0, n, accumulate);
    naiveGemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, c2, 0, n, accumulate);
    let maxErr = 0;
    for (let i = 0; i < c1.length; i++) maxErr = Math.max(maxErr, Math.abs(c1[i]! - c2[i]!));
    // `+=` shapes make C grow by about one sum of k small terms per call: harmless.
    const gemmMs = msPerCall(() => gemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, c, 0, n, accumulate), batches, batchMs);
    const naiveMs = msPerCall(() => naiveGemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, c, 0, n, accumulate), batches, batchMs);
    const row: Row = { shape, gemmMs, naiveMs, maxErr };
    if (tf) {
      const ta = tf.tensor2d(a, transA ? [k, m] : [m, k]);
      const tb = tf.tensor2d(b, transB ? [n, k] : [k, n]);
      row.tfMs = msPerCall(
        () => {
          const r = tf.matMul(ta, tb, transA, transB);
          r.dataSync();
          r.dispose();
        },
        batches,
        batchMs,
      );
      ta.dispose();
      tb.dispose();
    }
    rows.push(row);
  }
  const gf = (s: Shape, ms: number) => (2 * s.m * s.n * s.k) / (ms * 1e6);
  const pad = (s: string, w: number) => (s.length >= w ? s : " ".repeat(w - s.length) + s);
  const tfCols = tf !== undefined;
  log(
    `  ${"shape".padEnd(22)}${pad("m x k @ k x n", 18)}${pad("flags", 7)}${pad("gemm", 8)}${pad("naive", 8)}${pad("x naive", 9)}` +
      (tfCols ? `${pad("tfjs", 8)}${pad("x tfjs", 8)}` : "") +
      `${pad("us/call", 10)}${pad("max|err|", 10)}`,
  );
  for (const r of rows) {
    const s = r.shape;
    const flags = `${s.transA ? "T" : "N"}${s.transB ? "T" : "N"}${s.accumulate ? "+=" : "="}`;
    log(
      `  ${s.name.padEnd(22)}${pad(`${s.m}x${s.k} @ ${s.k}x${s.n}`, 18)}${pad(flags, 7)}${pad(gf(s, r.gemmMs).toFixed(2), 8)}${pad(gf(s, r.naiveMs).toFixed(2), 8)}` +
        `${pad((r.naiveMs / r.gemmMs).toFixed(1) + "x", 9)}` +
        (tfCols ? `${pad(r.tfMs === undefined ? "-" : gf(s, r.tfMs).toFixed(2), 8)}${pad(r.tfMs === undefined ? "-" : (r.tfMs / r.gemmMs).toFixed(2) + "x", 8)}` : "") +
        `${pad((r.gemmMs * 1000).toFixed(1), 10)}${pad(r.maxErr.toExponential(1), 10)}`,
    );
  }
  const step = (pick: (r: Row) => number | undefined) => {
    let total = 0;
    for (const r of rows) {
      if (r.shape.perStep === 0) continue;
      const ms = pick(r);
      if (ms === undefined) return undefined;
      total += r.shape.perStep * ms;
    }
    return total;
  };
  const flops = rows.reduce((t, r) => t + r.shape.perStep * 2 * r.shape.m * r.shape.n * r.shape.k, 0);
  const line = (label: string, ms: number | undefined) =>
    ms === undefined ? "" : `  ${label.padEnd(22)}${pad(ms.toFixed(1), 8)} ms  (${(flops / (ms * 1e6)).toFixed(2)} GFLOP/s)`;
  log(`matmuls of one LSTM training step (${(flops / 1e9).toFixed(2)} GFLOP: ${T} x the per-time-step shapes + the output layer):`);
  log(line("gemm", step((r) => r.gemmMs)));
  log(line("naive loop", step((r) => r.naiveMs)));
  if (tfCols) log(line("tfjs matMul", step((r) => r.tfMs)));
}
