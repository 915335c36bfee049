/**
 * CPU time and peak memory of the ts target's training step, for comparing
 * the lowering's speed choices (KernelOptions) with each other: not a
 * benchmark against a reference (bench/ts.ts is), so it has no entry in
 * run.ts. One config per run, in a fresh process so the peak RSS is this
 * model's:
 *
 *   node dist/bench/ts-steps.js lstm [--H 128] [--T 50] [--B 32] [--V 64] [--steps 10] [--off hoistGrads,fuse]
 *   node dist/bench/ts-steps.js elman [--steps 2000] [--off ...]
 *
 * lstm is bench/ts.ts's char-LM (one-hot input, LSTM, dense<V>, cross-entropy,
 * Adam); elman its small Elman RNN (B=10, T=5, V=3, H=4, MSE, SGD). Prints the
 * median CPU time (user + system) and wall time per step over the timed steps
 * after two warm-up steps, and the process's peak RSS.
 */
import "../src/runtime/relaxed-simd.js";
import { KERNEL_DEFAULTS, type KernelOptions } from "../src/kernel/lower.js";
import type { Dims } from "../src/runtime/model-api.js";
import { median } from "./check.js";
import { option } from "./args.js";
import { charLmSpec, ELMAN, ELMAN_SPEC, emitTrainer } from "./ts.js";

const argv = process.argv.slice(2);
const which = argv[0] === "elman" ? "elman" : "lstm";
const num = (name: string, fallback: number): number => Number(option(argv, `--${name}`) ?? fallback);
const off = (option(argv, "--off") ?? "").split(",").filter((s) => s !== "");
for (const k of off) if (!(k in KERNEL_DEFAULTS)) throw new Error(`ts-steps: --off ${k}: not one of ${Object.keys(KERNEL_DEFAULTS).join(", ")}`);
const kernel: Partial<KernelOptions> = Object.fromEntries(off.map((k) => [k, false]));

const cfg = which === "lstm" ? { B: num("B", 32), T: num("T", 50), V: num("V", 64), H: num("H", 128) } : ELMAN;
const steps = num("steps", which === "lstm" ? 10 : 2000);

const spec = which === "lstm" ? charLmSpec(cfg.H) : ELMAN_SPEC;
const rssBefore = process.memoryUsage().rss;
const dims: Dims = { T: cfg.T, V: cfg.V };
const { model, makeOptimizer } = await emitTrainer("steps.seq", spec, "f32", dims, cfg.B, kernel);
const opt = makeOptimizer();
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const x = Int32Array.from({ length: cfg.B * cfg.T }, () => Math.floor(rand() * cfg.V));
const y = which === "lstm" ? Int32Array.from({ length: cfg.B * cfg.T }, () => Math.floor(rand() * cfg.V)) : Float32Array.from({ length: cfg.B * cfg.T }, () => (rand() < 0.5 ? 0 : 1));
const batch = { size: cfg.B, dims, fields: { x, y } };
const step = () => {
  const loss = model.forward(batch);
  model.backward();
  opt.step(model.params, model.grads);
  return loss;
};
step();
step();
const cpu: number[] = [];
const wall: number[] = [];
const group = which === "lstm" ? 1 : 100;
let first = 0;
let last = 0;
for (let r = 0; r < Math.ceil(steps / group); r++) {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < group; i++) last = step();
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000 / group);
  wall.push((performance.now() - w0) / group);
  if (r === 0) first = last;
}
const unit = which === "lstm" ? { f: 1, u: "ms" } : { f: 1000, u: "us" };
console.log(
  `${which} ${JSON.stringify(cfg)} off=[${off.join(",")}]: CPU ${(median(cpu) * unit.f).toFixed(which === "lstm" ? 1 : 2)} ${unit.u}/step, wall ${(median(wall) * unit.f).toFixed(which === "lstm" ? 1 : 2)} ${unit.u}/step (median of ${cpu.length} x ${group} steps), loss ${first.toFixed(5)} -> ${last.toFixed(5)}, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (${(rssBefore / 2 ** 20).toFixed(0)} MB before compiling)`,
);
