/**
 * Benchmark of the matrix product of the standalone TypeScript runtime
 * (../src/runtime/gemm.ts) on the shapes of the char-LM LSTM training
 * step of bench/tfjs.ts (B=32, T=50, V=64, H=128), each with the transpose and
 * accumulate flags the trainer uses, and on the small Elman toy (10x4 @ 4x4);
 * then the LSTM step's shapes for H = 64, 256 and 512.
 * Contenders, timed interleaved batch by batch on each shape: gemm as the
 * runtime runs it (SIMD, or JS for small products), its two implementations
 * (gemmSimd: WebAssembly SIMD; gemmJs: plain JS, the fallback), a naive
 * triple loop (dot product per element of C, same strides, in doubles), and
 * tf.matMul of @tensorflow/tfjs on the wasm backend (by default; its output
 * is a fresh tensor, and `+=` shapes would need an extra tf.add there, not
 * timed). Figures are GFLOP/s (2*m*n*k per call) from the process's CPU time
 * (user + system) of the fastest of several timed batches (the estimate least
 * disturbed by other processes on a shared machine); the step lines give
 * wall time as well. The last lines estimate the matmul time of one training
 * step (50 x the per-time-step shapes + the output layer).
 */
import { gemm, GEMM_KIND, gemmJs, gemmSimd, type Buf, type Gemm } from "../src/runtime/gemm.js";
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

/** The matmuls of one char-LM LSTM training step with H hidden units (and the Elman toy when asked). */
export function lstmShapes(H: number, elman = false): Shape[] {
  const G = 4 * H;
  return [
    // Per time step (T times per training step).
    { name: "gates += h W_h", m: B, n: G, k: H, transA: false, transB: false, accumulate: true, perStep: T },
    { name: "dh = dgates W_h^T", m: B, n: H, k: G, transA: false, transB: true, accumulate: false, perStep: T },
    { name: "dW_h += h^T dgates", m: H, n: G, k: B, transA: true, transB: false, accumulate: true, perStep: T },
    // Output layer over all T*B positions at once.
    { name: "logits = H W_o", m: T * B, n: V, k: H, transA: false, transB: false, accumulate: false, perStep: 1 },
    { name: "dH = dlogits W_o^T", m: T * B, n: H, k: V, transA: false, transB: true, accumulate: false, perStep: 1 },
    { name: "dW_o = H^T dlogits", m: H, n: V, k: T * B, transA: true, transB: false, accumulate: false, perStep: 1 },
    // The small Elman benchmark: call overhead.
    ...(elman ? [{ name: "elman toy", m: 10, n: 4, k: 4, transA: false, transB: false, accumulate: false, perStep: 0 }] : []),
  ];
}

export const GEMM_SHAPES: Shape[] = lstmShapes(128, true);

/** The reference: one dot product per element of C, in doubles, same operand layout as gemm. */
export const naiveGemm: Gemm = (m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate) => {
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
};

function random(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) | 0;
    x[i] = (s >>> 8) / (1 << 24) - 0.5;
  }
  return x;
}

/** Milliseconds per call: of wall time and of the process's CPU time (user + system). */
interface Time {
  wall: number;
  cpu: number;
}

/**
 * Times each of fs, interleaved: calls per batch sized for each from a first
 * estimate so that a batch takes about batchMs, a warm-up batch of each, then
 * `batches` rounds of one batch of each; per f, the fastest batch's wall and
 * CPU time per call (each minimum on its own).
 */
function timeInterleaved(fs: (() => void)[], batches: number, batchMs: number): Time[] {
  const reps = fs.map((f) => {
    let n = 1;
    let t0 = performance.now();
    f();
    let dt = performance.now() - t0;
    while (dt < 2 && n < 1 << 20) {
      n *= 4;
      t0 = performance.now();
      for (let r = 0; r < n; r++) f();
      dt = performance.now() - t0;
    }
    n = Math.max(1, Math.round((n * batchMs) / Math.max(dt, 1e-3)));
    for (let r = 0; r < n; r++) f();
    return n;
  });
  const best = fs.map(() => ({ wall: Infinity, cpu: Infinity }));
  for (let q = 0; q < batches; q++) {
    fs.forEach((f, i) => {
      const n = reps[i]!;
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      for (let r = 0; r < n; r++) f();
      const wall = (performance.now() - t0) / n;
      const u = process.cpuUsage(u0);
      const cpu = (u.user + u.system) / 1000 / n;
      best[i]!.wall = Math.min(best[i]!.wall, wall);
      best[i]!.cpu = Math.min(best[i]!.cpu, cpu);
    });
  }
  return best;
}

/** A contender: a product with gemm's signature, or (no gemm) the naive loop or tf.matMul, by label. */
interface Contender {
  label: string;
  gemm?: Gemm;
}

interface Row {
  shape: Shape;
  /** Per contender (undefined: not timed on this shape). */
  times: (Time | undefined)[];
  /** Largest |difference| from the naive product, per gemm contender. */
  maxErr: (number | undefined)[];
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

/** Times the contenders on the shapes (naive: also time the naive loop, which is the reference for errors anyway). */
function timeShapes(shapes: Shape[], contenders: Contender[], tf: Tf | undefined, naive: boolean, batches: number, batchMs: number): Row[] {
  const rows: Row[] = [];
  for (const [si, shape] of shapes.entries()) {
    const { m, n, k, transA, transB, accumulate } = shape;
    const a = random(m * k, 3 * si + 1);
    const b = random(k * n, 3 * si + 2);
    const c = random(m * n, 3 * si + 3);
    const lda = transA ? m : k;
    const ldb = transB ? k : n;
    // Agreement with the reference on one call (from the same C).
    const expected = c.slice();
    naiveGemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, expected, 0, n, accumulate);
    const maxErr = contenders.map(({ gemm }) => {
      if (gemm === undefined) return undefined;
      const got = c.slice();
      gemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, got, 0, n, accumulate);
      let e = 0;
      for (let i = 0; i < got.length; i++) e = Math.max(e, Math.abs(got[i]! - expected[i]!));
      return e;
    });
    const ta = tf?.tensor2d(a, transA ? [k, m] : [m, k]);
    const tb = tf?.tensor2d(b, transB ? [n, k] : [k, n]);
    // `+=` shapes make C grow by about one sum of k small terms per call: harmless.
    const fs = contenders.map(({ label, gemm }): (() => void) | undefined => {
      if (gemm !== undefined) return () => gemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, c, 0, n, accumulate);
      if (label === "naive" && naive) return () => naiveGemm(m, n, k, a, 0, lda, transA, b, 0, ldb, transB, c, 0, n, accumulate);
      if (label === "tfjs" && tf !== undefined && ta !== undefined && tb !== undefined)
        return () => {
          const r = tf.matMul(ta, tb, transA, transB);
          r.dataSync();
          r.dispose();
        };
      return undefined;
    });
    const timed = timeInterleaved(fs.filter((f) => f !== undefined), batches, batchMs);
    let t = 0;
    rows.push({ shape, times: fs.map((f) => (f === undefined ? undefined : timed[t++])), maxErr });
    ta?.dispose();
    tb?.dispose();
  }
  return rows;
}

const pad = (s: string, w: number) => (s.length >= w ? s : " ".repeat(w - s.length) + s);
const gflops = (s: Shape, ms: number) => (2 * s.m * s.n * s.k) / (ms * 1e6);

/** The table of one set of shapes: GFLOP/s by CPU time per contender timed, then the matmul time of one training step per contender. */
function report(rows: Row[], contenders: Contender[], log: (line: string) => void): void {
  const shown = contenders.map((_, i) => rows.some((r) => r.times[i] !== undefined));
  log(
    `  ${"shape".padEnd(22)}${pad("m x k @ k x n", 18)}${pad("flags", 7)}` +
      contenders.filter((_, i) => shown[i]).map((c) => pad(c.label, 10)).join("") +
      `${pad(`us/call`, 10)}${pad("max|err|", 10)}`,
  );
  for (const r of rows) {
    const s = r.shape;
    const flags = `${s.transA ? "T" : "N"}${s.transB ? "T" : "N"}${s.accumulate ? "+=" : "="}`;
    const errs = r.maxErr.filter((e) => e !== undefined);
    log(
      `  ${s.name.padEnd(22)}${pad(`${s.m}x${s.k} @ ${s.k}x${s.n}`, 18)}${pad(flags, 7)}` +
        r.times
          .filter((_, i) => shown[i])
          .map((t) => pad(t === undefined ? "-" : gflops(s, t.cpu).toFixed(2), 10))
          .join("") +
        `${pad((r.times[0]!.cpu * 1000).toFixed(1), 10)}${pad(Math.max(...errs).toExponential(1), 10)}`,
    );
  }
  const flops = rows.reduce((t, r) => t + r.shape.perStep * 2 * r.shape.m * r.shape.n * r.shape.k, 0);
  log(`  matmuls of one LSTM training step (${(flops / 1e9).toFixed(2)} GFLOP: ${T} x the per-time-step shapes + the output layer):`);
  const ref = stepMs(rows, 0)!;
  contenders.forEach((c, i) => {
    const ms = stepMs(rows, i);
    if (ms === undefined) return;
    log(`    ${c.label.padEnd(10)}${pad(ms.cpu.toFixed(1), 8)} ms cpu ${pad(ms.wall.toFixed(1), 8)} ms wall  ${pad((flops / (ms.cpu * 1e6)).toFixed(2), 6)} GFLOP/s cpu  ${pad((ms.cpu / ref.cpu).toFixed(2), 6)}x ${contenders[0]!.label}'s cpu`);
  });
}

/** The matmul time of one training step for contender i, or undefined if it was not timed on every shape. */
function stepMs(rows: Row[], i: number): Time | undefined {
  const total = { wall: 0, cpu: 0 };
  for (const r of rows) {
    if (r.shape.perStep === 0) continue;
    const t = r.times[i];
    if (t === undefined) return undefined;
    total.wall += r.shape.perStep * t.wall;
    total.cpu += r.shape.perStep * t.cpu;
  }
  return total;
}

export async function benchGemm(opts: GemmBenchOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const batches = opts.batches ?? 7;
  const batchMs = opts.batchMs ?? 25;
  const tf = await loadTf(opts.tfjs ?? "wasm", log);
  const products: Contender[] = [{ label: "gemm", gemm }, ...(gemmSimd !== undefined ? [{ label: "gemmSimd", gemm: gemmSimd }] : []), { label: "gemmJs", gemm: gemmJs }];
  const all: Contender[] = [...products, { label: "naive" }, { label: "tfjs" }];
  log(`gemm (../src/runtime/gemm.ts, running ${GEMM_KIND}) on Float32Array, GFLOP/s = 2mnk / CPU time, fastest of ${batches} interleaved batches of ~${batchMs} ms`);
  report(timeShapes(GEMM_SHAPES, all, tf, true, batches, batchMs), all, log);
  for (const H of [64, 256, 512]) {
    log(`H = ${H} (B=${B}, T=${T}, V=${V}), the runtime's products only:`);
    report(timeShapes(lstmShapes(H), products, undefined, false, batches, batchMs), products, log);
  }
}
