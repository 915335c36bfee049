/**
 * The char-LM benchmark of issue 12: one LSTM language model (one-hot input,
 * lstm<H>, dense<V>, softmax cross-entropy per step, Adam), trained by every
 * contender in one run:
 *
 * - tfjs-layers (`tf.layers.lstm`, sigmoid gates, trainOnBatch) on a tfjs backend (wasm by default);
 * - the seqc tfjs target (TfModel, tf.variableGrads, tf.train.adam) on the same backend;
 * - the seqc ts target: the emitted trainer (f32), imported as bench/ts.ts does, through its public model API;
 * - PyTorch (bench/torch_lstm.py, nn.LSTM + nn.Linear) in a child process with OPENBLAS_NUM_THREADS=1 and
 *   torch.set_num_threads(1), when a Python imports torch (`$SEQC_PYTHON`, `python3` or `/usr/bin/python3`: src/backends/pytorch/find-torch.ts) (else its rows are skipped,
 *   saying why, and ratios are to tfjs-layers).
 *
 * Four tables:
 * 1. base: B=32, T=50, V=64, H=128, one batch, interleaved rounds (each round runs every contender's steps
 *    in turn); median CPU ms/step (in-process: process.cpuUsage() deltas; PyTorch: its own
 *    time.process_time) and wall ms/step. All start from the tfjs-layers model's initial weights, and their
 *    first losses must agree.
 * 2. scaling: H x T (B=32, V=64) for the ts target and PyTorch, interleaved, with achieved GFLOP/s (FLOPs
 *    from the shapes, lstmStepFlops, over CPU time).
 * 3. peak memory: the peak RSS of a child process that runs a training step of one contender (node: bench/lm-memory.ts;
 *    PyTorch: resource.getrusage), at the base config and at the largest scaling size.
 * 4. quality at equal wall-clock: each contender trains from the same initial weights on the same text for
 *    the same wall-clock budget (the text as B streams in windows of T, states carried across windows, one
 *    Adam update per window, same learning rate), then validation bits per character on the same held-out
 *    tail. The text: this repository's sources and docs (a few MB, bytes; the 63 most frequent bytes and one
 *    id for the rest make V=64), written to a temporary directory at run time.
 *
 * Options: `--quick` (small sizes, short budget, few rounds), `--sizes 64x50,128x200` (H x T), `--budget S`
 * (seconds of training per contender, default 60), `--rounds N` (default 10), `--parts base,scaling,memory,quality`,
 * `--backend cpu|wasm` for the tfjs contenders.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadEngine, type BackendName, type Engine } from "../src/backends/tfjs/engine.js";
import { TfModel, type ScanStates } from "../src/backends/tfjs/exec.js";
import { checkProgram } from "../src/check/check.js";
import { buildGraph } from "../src/graph/build.js";
import { loadProgram } from "../src/ir/program.js";
import type { Batch, Buf } from "../src/runtime/model-api.js";
import { median, repoRoot } from "./check.js";
import { B, BASE, byteIds, LR_QUALITY, LR_TIMING, lstmStepFlops, markdownTable, repositoryText, streamWindows, V, type LmBenchOptions, type Size } from "./lm-config.js";
import { charLmSpec, emitTrainer, kerasCharLmToSeqc } from "./ts.js";
import { findTorchPython, type NoTorch } from "../src/backends/pytorch/find-torch.js";

/** Random tokens of the timing batch (an LCG: the same in every run). */
function randomTokens(n: number, seed: number): Int32Array {
  let s = seed;
  return Int32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 16) % V;
  });
}

// ------------------------------------------------------------------ contenders

interface Timing {
  first: number;
  last: number;
  /** Milliseconds. */
  cpu: number;
  wall: number;
}

interface Contender {
  label: string;
  params: number;
  /** `n` training steps on the batch; losses in seqc's scale (summed over time, mean over the batch). */
  steps(n: number, x: Int32Array, y: Int32Array): Promise<Timing>;
  /** Trains on the windows in order, states carried, for `budget` seconds of wall time: the number of updates. */
  train(file: string, windows: { x: Int32Array; y: Int32Array }[], budget: number): Promise<number>;
  /** Mean cross-entropy in nats per token over the windows, states carried. */
  evaluate(file: string, windows: { x: Int32Array; y: Int32Array }[]): Promise<number>;
  dispose(): void | Promise<void>;
}

/** A contender that runs in this process, from its update and forward-only loss of one window (`carry`: start from the previous window's final states). */
function inProcess(label: string, params: number, T: number, update: (x: Int32Array, y: Int32Array, carry: boolean) => number | Promise<number>, loss: (x: Int32Array, y: Int32Array, carry: boolean) => number | Promise<number>, dispose: () => void): Contender {
  return {
    label,
    params,
    async steps(n, x, y) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      const first = await update(x, y, false);
      let last = first;
      for (let i = 1; i < n; i++) last = await update(x, y, false);
      const wall = performance.now() - w0;
      const c = process.cpuUsage(c0);
      return { first, last, cpu: (c.user + c.system) / 1000, wall };
    },
    async train(_file, windows, budget) {
      const t0 = performance.now();
      let k = 0;
      let steps = 0;
      while (performance.now() - t0 < budget * 1000) {
        await update(windows[k]!.x, windows[k]!.y, k > 0);
        steps++;
        k = (k + 1) % windows.length;
      }
      return steps;
    },
    async evaluate(_file, windows) {
      let total = 0;
      for (let k = 0; k < windows.length; k++) total += await loss(windows[k]!.x, windows[k]!.y, k > 0);
      return total / (windows.length * T);
    },
    dispose,
  };
}

/** The seqc ts target's emitted trainer (f32) at `size`, from `initial` weights (seqc's names) when given. */
async function tsContender(size: Size, lr: number, initial?: Record<string, Float32Array>): Promise<Contender> {
  const t = await emitTrainer("bench_char_lstm.seq", charLmSpec(size.H, lr), "f32", { V, T: size.T }, B);
  const { model } = t;
  if (initial) for (const [name, values] of Object.entries(initial)) model.params.set(values, model.layout[name]!.offset);
  const opt = t.makeOptimizer();
  const batchOf = (x: Int32Array, y: Int32Array): Batch => ({ size: B, dims: { T: size.T }, fields: { x, y } });
  // The final states of a window, copied (the model's buffers are reused), become the next window's initial ones.
  let carried: Record<string, Buf> | undefined;
  const run = (x: Int32Array, y: Int32Array, carry: boolean, train: boolean): number => {
    model.setInitialStates(carry ? carried : undefined);
    const loss = model.forward(batchOf(x, y));
    carried = Object.fromEntries(Object.entries(model.finalStates()).map(([k, v]) => [k, v.data.slice(v.offset, v.offset + v.shape.reduce((a, b) => a * b, 1)) as Buf]));
    if (train) {
      model.backward();
      opt.step(model.params, model.grads);
    }
    return loss;
  };
  return inProcess("seqc ts target (emitted trainer, f32)", model.params.length, size.T, (x, y, c) => run(x, y, c, true), (x, y, c) => run(x, y, c, false), () => undefined);
}

function charLmGraph(H: number) {
  const program = loadProgram("bench_char_lstm.seq", {
    text: charLmSpec(H),
    readFile: () => {
      throw new Error("the benchmark spec imports nothing");
    },
  });
  const result = checkProgram(program);
  if (result.diagnostics.length > 0) throw new Error(`bench lm: the char-LM spec does not check: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return buildGraph(result.models[0]!);
}

/** The seqc tfjs target: TfModel, tf.variableGrads and tf.train.adam, as bench/tfjs.ts times it, with states carried between windows. */
function tfjsContender(engine: Engine, size: Size, lr: number, initial?: Record<string, Float32Array>): Contender {
  const tf = engine.tf;
  const model = new TfModel(charLmGraph(size.H), engine, { V }, 1);
  if (initial) for (const [name, values] of Object.entries(initial)) model.params.get(name)!.assign(tf.tensor(values, model.params.get(name)!.shape));
  const vars = [...model.params.values()];
  const opt = tf.train.adam(lr);
  let carried: ScanStates = {};
  // Kept inside the tidy that makes them (variableGrads disposes what its function made), swapped in after.
  const keep = (states: ScanStates): ScanStates => Object.fromEntries(Object.entries(states).map(([scan, st]) => [scan, Object.fromEntries(Object.entries(st).map(([k, t]) => [k, tf.keep(t)]))]));
  const setCarried = (states: ScanStates) => {
    for (const st of Object.values(carried)) for (const t of Object.values(st)) t.dispose();
    carried = states;
  };
  const run = (x: Int32Array, y: Int32Array, carry: boolean, train: boolean): number => {
    let states: ScanStates = {};
    const loss = tf.tidy(() => {
      const inputs = { x: tf.tensor(x, [B, size.T], "int32"), y: tf.tensor(y, [B, size.T], "int32") };
      const initialStates = carry ? carried : {};
      if (!train) {
        const r = model.forward(inputs, { T: size.T }, {}, initialStates);
        states = keep(r.states);
        return r.loss.dataSync()[0]!;
      }
      const { value, grads } = tf.variableGrads(() => {
        const r = model.forward(inputs, { T: size.T }, {}, initialStates);
        states = keep(r.states);
        return r.loss;
      }, vars);
      opt.applyGradients(grads as unknown as Record<string, tfTypes.Variable>);
      return value.dataSync()[0]!;
    });
    setCarried(states);
    return loss;
  };
  const params = vars.reduce((n, v) => n + v.size, 0);
  return inProcess(`seqc tfjs target (${engine.backend})`, params, size.T, (x, y, c) => run(x, y, c, true), (x, y, c) => run(x, y, c, false), () => {
    setCarried({});
    opt.dispose();
    model.dispose();
  });
}

/** tfjs-layers: a stateful tf.layers.lstm (sigmoid gates, as the spec's equations) and a time-distributed softmax dense, trainOnBatch; `initial` are its getWeights() arrays. */
function layersContender(engine: Engine, size: Size, lr: number): { contender: Contender; weights: Float32Array[] } {
  const tf = engine.tf;
  const { H, T } = size;
  const m = tf.sequential();
  m.add(tf.layers.lstm({ units: H, returnSequences: true, stateful: true, recurrentActivation: "sigmoid", batchInputShape: [B, T, V] }));
  m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: V, activation: "softmax" }) }));
  m.compile({ optimizer: tf.train.adam(lr), loss: "categoricalCrossentropy" });
  const weights = m.getWeights().map((w) => w.dataSync() as Float32Array);
  const oneHot = (ids: Int32Array) => tf.tidy(() => tf.oneHot(tf.tensor(ids, [B, T], "int32"), V).toFloat());
  // Keras averages over batch and time; seqc sums over time: x T.
  const update = async (x: Int32Array, y: Int32Array, carry: boolean): Promise<number> => {
    if (!carry) m.resetStates();
    const xs = oneHot(x);
    const ys = oneHot(y);
    const loss = (await m.trainOnBatch(xs, ys)) as number;
    xs.dispose();
    ys.dispose();
    return loss * T;
  };
  const loss = (x: Int32Array, y: Int32Array, carry: boolean): number => {
    if (!carry) m.resetStates();
    return tf.tidy(() => {
      const p = m.predictOnBatch(oneHot(x)) as tfTypes.Tensor;
      const picked = tf.sum(tf.mul(tf.log(tf.maximum(p, 1e-7)), oneHot(y)));
      return (-picked.dataSync()[0]! / B) as number;
    });
  };
  return { contender: inProcess(`tfjs-layers lstm, trainOnBatch (${engine.backend})`, m.countParams(), T, update, loss, () => m.dispose()), weights };
}

/** For bench/lm-memory.ts: one in-process contender at `size` (the tfjs ones after loading tfjs), the peak RSS (KiB) before it was built, and its steps on random tokens. */
export async function memoryContender(who: "ts" | "tfjs" | "layers", size: Size, backend: BackendName): Promise<{ before: number; steps: (n: number) => Promise<Timing> }> {
  const engine = who === "ts" ? undefined : await loadEngine(backend);
  const before = process.resourceUsage().maxRSS;
  const c = who === "ts" ? await tsContender(size, LR_TIMING) : who === "tfjs" ? tfjsContender(engine!, size, LR_TIMING) : layersContender(engine!, size, LR_TIMING).contender;
  const x = randomTokens(B * size.T, 1);
  const y = randomTokens(B * size.T, 2);
  return { before, steps: (n) => c.steps(n, x, y) };
}

// ------------------------------------------------------------------ PyTorch in a child process

class TorchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly replies: ((line: string) => void)[] = [];
  private stderr = "";

  constructor(python: string) {
    this.child = spawn(python, [join(repoRoot(), "bench", "torch_lstm.py")], { env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" } });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on("line", (line) => this.replies.shift()?.(line));
  }

  /** Sends a command, resolves with the reply (cpu and wall in ms); rejects with the script's error. */
  request(cmd: Record<string, unknown>): Promise<Record<string, number> & { cpu: number; wall: number }> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`bench lm: torch_lstm.py exited (${code}): ${this.stderr.trim()}`));
      this.child.once("exit", onExit);
      this.replies.push((line) => {
        this.child.off("exit", onExit);
        const r = JSON.parse(line) as Record<string, number>;
        const error = r["error"] as unknown as string | undefined;
        if (error !== undefined) reject(new Error(`bench lm: torch_lstm.py ${String(cmd["cmd"])}: ${error}`));
        else resolve({ ...r, cpu: r["cpu"]! * 1000, wall: r["wall"]! * 1000 });
      });
      this.child.stdin.write(JSON.stringify(cmd) + "\n");
    });
  }

  close(): void {
    this.child.stdin.end(JSON.stringify({ cmd: "quit" }) + "\n");
  }
}

/** PyTorch weights (i, f, g, o gate blocks, like Keras's i, f, c, o) from the tfjs-layers model's. */
function kerasToTorch([k, rk, b, dk, db]: Float32Array[], H: number): Record<string, number[]> {
  const transpose = (m: Float32Array, rows: number, cols: number) => Array.from({ length: rows * cols }, (_, i) => m[(i % cols) * rows + Math.floor(i / cols)]!);
  return { w_ih: transpose(k!, 4 * H, V), w_hh: transpose(rk!, 4 * H, H), b: Array.from(b!), dense_w: transpose(dk!, V, H), dense_b: Array.from(db!) };
}

let blasSeen = false;

async function torchContender(python: string, size: Size, lr: number, keras?: Float32Array[]): Promise<Contender> {
  const p = new TorchProcess(python);
  const init = await p.request({ cmd: "init", B, T: size.T, V, H: size.H, lr, seed: 1, ...(keras ? { weights: kerasToTorch(keras, size.H) } : {}) });
  let batch: Int32Array | undefined;
  const blas = init["blas"] as unknown as string;
  if (!blasSeen) {
    blasSeen = true;
    console.log(`PyTorch's BLAS: ${blas}${/openblas/i.test(blas) ? "" : " (not OpenBLAS: the reference BLAS is several times slower; Debian: apt-get install libopenblas0-pthread)"}`);
  }
  return {
    label: `PyTorch ${python} (1 thread)`,
    params: init["params"]!,
    async steps(n, x, y) {
      if (batch !== x) {
        await p.request({ cmd: "batch", x: Array.from(x), y: Array.from(y) });
        batch = x;
      }
      const r = await p.request({ cmd: "step", n });
      return { first: r["first"]!, last: r["last"]!, cpu: r.cpu, wall: r.wall };
    },
    async train(file, _windows, budget) {
      return (await p.request({ cmd: "train", ids: file, budget }))["steps"]!;
    },
    async evaluate(file) {
      return (await p.request({ cmd: "eval", ids: file }))["nats"]!;
    },
    dispose: () => p.close(),
  };
}

// ------------------------------------------------------------------ the parts

interface Row {
  c: Contender;
  timings: Timing[];
}

/** `rounds` interleaved rounds after one warm-up step each: every contender runs `stepsOf(c)` steps per round. */
async function rounds(contenders: Contender[], x: Int32Array, y: Int32Array, n: number, stepsOf: (c: Contender) => number): Promise<Row[]> {
  const rows = contenders.map((c) => ({ c, timings: [] as Timing[] }));
  for (const r of rows) r.timings.push(await r.c.steps(1, x, y));
  for (let i = 0; i < n; i++) for (const r of rows) r.timings.push(await r.c.steps(stepsOf(r.c), x, y));
  return rows;
}

/** Median CPU and wall ms per step over the timed rounds (the first timing is the warm-up, used only when there are none). */
function perStep(row: Row, stepsOf: (c: Contender) => number): { cpu: number; wall: number } {
  const timed = row.timings.length > 1 ? row.timings.slice(1) : row.timings;
  const n = stepsOf(row.c);
  return { cpu: median(timed.map((t) => t.cpu / n)), wall: median(timed.map((t) => t.wall / n)) };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

async function base(engine: Engine, torch: { python: string } | undefined, opts: LmBenchOptions, problems: string[]): Promise<void> {
  const { log } = opts;
  const size = BASE;
  const layers = layersContender(engine, size, LR_TIMING);
  const initial = kerasCharLmToSeqc(layers.weights, size.H, V);
  const contenders = [layers.contender, tfjsContender(engine, size, LR_TIMING, initial), await tsContender(size, LR_TIMING, initial)];
  if (torch) contenders.push(await torchContender(torch.python, size, LR_TIMING, layers.weights));
  const x = randomTokens(B * size.T, 1);
  const y = randomTokens(B * size.T, 2);
  // In-process steps of a round: about the same time per contender, PyTorch's several (its steps are short).
  const stepsOf = (c: Contender) => (c.label.startsWith("PyTorch") ? 5 : 1);
  const rows = await rounds(contenders, x, y, opts.rounds, stepsOf);
  const flops = lstmStepFlops(B, size.T, V, size.H);
  const ref = rows.find((r) => r.c.label.startsWith("PyTorch")) ?? rows[0]!;
  const refMs = perStep(ref, stepsOf);
  log(`\n### Base config: B=${B}, T=${size.T}, V=${V} one-hot, H=${size.H}, dense<V>, softmax cross-entropy, Adam ${LR_TIMING}\n`);
  log(`Median of ${opts.rounds} interleaved rounds (${rows.map((r) => `${stepsOf(r.c)}`).join("/")} steps per round) after one warm-up step each; ratio: CPU time per step over ${ref.c.label}'s. ${(flops / 1e9).toFixed(2)} GFLOP per step.\n`);
  const table: (string | number)[][] = [];
  for (const r of rows) {
    const ms = perStep(r, stepsOf);
    table.push([r.c.label, r.c.params, fmt(ms.cpu), fmt(ms.wall), `${(ms.cpu / refMs.cpu).toFixed(2)}x`, ((flops / ms.cpu) * 1e-6).toFixed(2), 1 + opts.rounds * stepsOf(r.c), r.timings[0]!.first.toFixed(4), r.timings[r.timings.length - 1]!.last.toFixed(4)]);
    if (r.c.params !== rows[0]!.c.params) problems.push(`${r.c.label}: ${r.c.params} parameters, tfjs-layers has ${rows[0]!.c.params}`);
    const first = r.timings[0]!.first;
    const want = rows[0]!.timings[0]!.first;
    if (Math.abs(first - want) > 1e-3 * want) problems.push(`${r.c.label}: first loss ${first}, tfjs-layers ${want}: not the same model`);
    if (!(r.timings[r.timings.length - 1]!.last < first)) problems.push(`${r.c.label}: the loss did not decrease`);
  }
  log(markdownTable(["contender", "params", "CPU ms/step", "wall ms/step", "CPU ratio", "GFLOP/s (CPU)", "steps", "first loss", "last loss"], table));
  log(`\nAll start from the tfjs-layers model's initial weights (PyTorch: bias_hh 0); the first loss is of the same weights and batch (seqc's scale: summed over T, mean over B).`);
  for (const c of contenders) await c.dispose();
}

/** FLOPs per step above which a step takes seconds: its scaling row times the first step alone (the warm-up would double a long run for little). */
const BIG_STEP = 20e9;

async function scaling(torch: { python: string } | undefined, opts: LmBenchOptions): Promise<void> {
  const { log } = opts;
  const n = Math.max(1, Math.min(2, opts.rounds));
  log(`\n### Scaling: B=${B}, V=${V}, H x T; ts target${torch ? " and PyTorch" : ""}, interleaved, median of ${n} rounds of 1 step after a warm-up step (over ${BIG_STEP / 1e9} GFLOP per step: the first step alone); GFLOP/s from the shapes over CPU time\n`);
  const table: (string | number)[][] = [];
  for (const size of opts.sizes) {
    const contenders = [await tsContender(size, LR_TIMING)];
    if (torch) contenders.push(await torchContender(torch.python, size, LR_TIMING));
    const x = randomTokens(B * size.T, 1);
    const y = randomTokens(B * size.T, 2);
    const flops = lstmStepFlops(B, size.T, V, size.H);
    const rows = await rounds(contenders, x, y, flops > BIG_STEP ? 0 : n, () => 1);
    const [ts, py] = rows.map((r) => perStep(r, () => 1));
    // Each size as it is done (a large grid takes a while): the table follows.
    process.stderr.write(`scaling H=${size.H} T=${size.T}: ts ${fmt(ts!.cpu)} ms CPU, ${fmt(ts!.wall)} ms wall${py ? `; PyTorch ${fmt(py.cpu)} ms CPU, ${fmt(py.wall)} ms wall` : ""}\n`);
    table.push([
      size.H,
      size.T,
      (flops / 1e9).toFixed(2),
      fmt(ts!.cpu),
      fmt(ts!.wall),
      ((flops / ts!.cpu) * 1e-6).toFixed(2),
      ...(py ? [fmt(py.cpu), fmt(py.wall), ((flops / py.cpu) * 1e-6).toFixed(2), `${(ts!.cpu / py.cpu).toFixed(2)}x`] : []),
    ]);
    for (const c of contenders) await c.dispose();
  }
  const header = ["H", "T", "GFLOP/step", "ts CPU ms", "ts wall ms", "ts GFLOP/s"];
  log(markdownTable(torch ? [...header, "torch CPU ms", "torch wall ms", "torch GFLOP/s", "ts/torch CPU"] : header, table));
}

/** The peak RSS (KiB) of a child that runs 1 step of `who` at `size`. */
async function peakRss(who: "ts" | "tfjs" | "layers" | "torch", size: Size, backend: BackendName, torch: { python: string } | undefined): Promise<{ peak: number; before: number }> {
  if (who === "torch") {
    const p = new TorchProcess(torch!.python);
    const before = (await p.request({ cmd: "rss" }))["kib"]!;
    await p.request({ cmd: "init", B, T: size.T, V, H: size.H, lr: LR_TIMING });
    await p.request({ cmd: "batch", x: Array.from(randomTokens(B * size.T, 1)), y: Array.from(randomTokens(B * size.T, 2)) });
    await p.request({ cmd: "step", n: 1 });
    const peak = (await p.request({ cmd: "rss" }))["kib"]!;
    p.close();
    return { peak, before };
  }
  const script = join(repoRoot(), "dist", "bench", "lm-memory.js");
  const r = spawnSync(process.execPath, [script, who, String(size.H), String(size.T), backend], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench lm: the memory child (${who} H=${size.H} T=${size.T}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { peak: number; before: number };
}

async function memory(torch: { python: string } | undefined, opts: LmBenchOptions): Promise<void> {
  const { log } = opts;
  const largest = opts.sizes.reduce((a, s) => (lstmStepFlops(B, s.T, V, s.H) > lstmStepFlops(B, a.T, V, a.H) ? s : a), opts.sizes[0]!);
  log(`\n### Peak memory: peak RSS of a child process running 1 training step of one contender (node: process.resourceUsage().maxRSS; PyTorch: getrusage); "before": after loading the libraries, before the model\n`);
  const table: (string | number)[][] = [];
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  for (const size of [BASE, largest]) {
    const who: ("ts" | "tfjs" | "layers" | "torch")[] = size === BASE ? ["layers", "tfjs", "ts"] : ["ts"];
    if (torch) who.push("torch");
    for (const w of who) {
      const r = await peakRss(w, size, opts.backend, torch);
      table.push([`H=${size.H} T=${size.T}`, LABELS[w], mib(r.before), mib(r.peak), mib(r.peak - r.before)]);
    }
  }
  log(markdownTable(["size", "contender", "before MiB", "peak MiB", "peak - before MiB"], table));
}

const LABELS = { ts: "seqc ts target (f32)", tfjs: "seqc tfjs target", layers: "tfjs-layers", torch: "PyTorch (1 thread)" };

async function quality(engine: Engine, torch: { python: string } | undefined, opts: LmBenchOptions): Promise<void> {
  const { log } = opts;
  const size = BASE;
  const text = repositoryText(repoRoot());
  const ids = byteIds(text);
  const held = Math.min(Math.floor(ids.length * 0.05), 64_000);
  const trainIds = ids.subarray(0, ids.length - held);
  const validIds = ids.subarray(ids.length - held);
  const dir = mkdtempSync(join(tmpdir(), "seqc-bench-lm-"));
  try {
    const trainFile = join(dir, "train.i32");
    const validFile = join(dir, "valid.i32");
    writeFileSync(trainFile, new Uint8Array(trainIds.buffer, trainIds.byteOffset, trainIds.byteLength));
    writeFileSync(validFile, new Uint8Array(validIds.buffer, validIds.byteOffset, validIds.byteLength));
    const trainWins = streamWindows(trainIds, size.T);
    const validWins = streamWindows(validIds, size.T);
    log(`\n### Quality at equal wall-clock: ${opts.budget} s of training each (from a cold start: compilation and first steps count), one contender at a time\n`);
    log(`Text: this repository's .ts/.md/.seq files, ${(text.length / 1e6).toFixed(2)} MB of bytes (63 most frequent bytes + one id for the rest: V=${V}); held out: the last ${held} bytes. B=${B} streams, windows of T=${size.T}, states carried, H=${size.H}, Adam ${LR_QUALITY}, no clipping, all from the same initial weights. Validation: the held-out tail as ${B} streams, ${validWins.length} windows, states carried.\n`);
    const table: (string | number)[][] = [];
    const layers = layersContender(engine, size, LR_QUALITY);
    const initial = kerasCharLmToSeqc(layers.weights, size.H, V);
    const makers: (() => Contender | Promise<Contender>)[] = [() => layers.contender, () => tfjsContender(engine, size, LR_QUALITY, initial), () => tsContender(size, LR_QUALITY, initial)];
    if (torch) makers.push(() => torchContender(torch.python, size, LR_QUALITY, layers.weights));
    for (const make of makers) {
      const c = await make();
      const steps = await c.train(trainFile, trainWins, opts.budget);
      const nats = await c.evaluate(validFile, validWins);
      table.push([c.label, steps, ((steps * B * size.T) / opts.budget).toFixed(0), (nats / Math.LN2).toFixed(3)]);
      await c.dispose();
    }
    log(markdownTable(["contender", "updates", "tokens/s", "validation bits/char"], table));
    log(`\nA model that learned nothing: ${Math.log2(V).toFixed(3)} bits/char (uniform over V).`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ entry

export async function benchLm(opts: LmBenchOptions): Promise<void> {
  const { log } = opts;
  const found = findTorchPython();
  const torch = "python" in found ? found : undefined;
  const engine = await loadEngine(opts.backend);
  const cpu = cpus();
  log(`## char-LM LSTM: tfjs-layers, seqc tfjs and ts targets, PyTorch\n`);
  log(`Machine: ${cpu[0]?.model.trim() ?? "unknown CPU"} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; tfjs ${engine.tf.version.tfjs} (${engine.backend}); ${torch ? `PyTorch ${torch.version} via ${torch.python}, OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)` : `PyTorch row skipped: ${(found as NoTorch).missing}`}. Parts: ${opts.parts.join(", ")}.`);
  const problems: string[] = [];
  if (opts.parts.includes("base")) await base(engine, torch, opts, problems);
  if (opts.parts.includes("scaling")) await scaling(torch, opts);
  if (opts.parts.includes("memory")) await memory(torch, opts);
  if (opts.parts.includes("quality")) await quality(engine, torch, opts);
  if (problems.length > 0) throw new Error(`the lm benchmark's checks failed:\n  ${problems.join("\n  ")}`);
}
