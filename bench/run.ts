/**
 * Runs the benchmarks: `npm run bench` (all), or `node dist/bench/run.js NAME...`
 * for some of them. A benchmark that fails (e.g. a generated spec that does not
 * check clean) sets exit code 1 and the others still run.
 */
import "../src/runtime/relaxed-simd.js";
import { cpus } from "node:os";
import { benchCheck } from "./check.js";
import { benchGemm } from "./gemm.js";
import { benchLm } from "./lm.js";
import { lmBenchOptionsFrom } from "./lm-config.js";
import { benchStartup } from "./startup.js";
import { benchTfjs, tfBenchOptionsFrom } from "./tfjs.js";
import { benchTs, tsBenchOptionsFrom } from "./ts.js";

export interface Benchmark {
  name: string;
  description: string;
  run: () => void | Promise<void>;
}

/** The benchmarks, in order. The compile targets will add theirs here. */
export const BENCHMARKS: Benchmark[] = [
  { name: "check", description: "seqc check: parse, lower, validate, check of generated specs, in process", run: () => benchCheck() },
  {
    name: "startup",
    description: "CLI start-up: `seqc check` of one spec against `node -e ''`, wall and CPU time, interleaved (--runs N)",
    run: () => benchStartup(startupOptionsFrom(process.argv.slice(2))),
  },
  {
    name: "tfjs",
    description: "tfjs target: char-LM LSTM training step against tfjs-layers (--backend cpu|wasm, --steps N, --ablation)",
    run: () => benchTfjs(tfBenchOptionsFrom(process.argv.slice(2))),
  },
  {
    name: "ts",
    description: "ts target: emitted trainer's training step against tfjs-layers, small Elman RNN and char-LM LSTM (--backend cpu|wasm, --steps N)",
    run: () => benchTs(tsBenchOptionsFrom(process.argv.slice(2))),
  },
  {
    name: "lm",
    description:
      "char-LM LSTM: tfjs-layers, seqc tfjs and ts targets, PyTorch; CPU and wall ms/step interleaved, H x T scaling with GFLOP/s, peak memory, validation bits/char at equal wall-clock (--quick, --sizes 64x50,..., --budget S, --rounds N, --parts base,scaling,memory,quality)",
    run: () => benchLm(lmBenchOptionsFrom(process.argv.slice(2))),
  },
  {
    name: "gemm",
    description: "ts target runtime: GEMM on the char-LM and Elman shapes against a naive loop and tf.matMul (--backend cpu|wasm)",
    run: () => benchGemm({ tfjs: tfBenchOptionsFrom(process.argv.slice(2)).backend ?? "wasm" }),
  },
];

/** Benchmark names among the arguments: options (`--name` and the value after it, or a bare flag) are for the benchmarks. */
function names(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      if (VALUED.has(a)) i++;
    } else out.push(a);
  }
  return out;
}

const VALUED = new Set(["--backend", "--steps", "--runs", "--sizes", "--budget", "--rounds", "--parts"]);

/** `--runs N` for the start-up benchmark. */
function startupOptionsFrom(argv: string[]): { runs?: number } {
  const i = argv.indexOf("--runs");
  const runs = i >= 0 ? Number(argv[i + 1]) : undefined;
  if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs takes a whole number of runs, not ${argv[i + 1]}`);
  return runs !== undefined ? { runs } : {};
}

async function main(args: string[]): Promise<number> {
  const argv = names(args);
  const unknown = argv.filter((a) => !BENCHMARKS.some((b) => b.name === a));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark(s) ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`);
    return 2;
  }
  const selected = argv.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => argv.includes(b.name));
  const cpu = cpus();
  console.log(`seqc benchmarks: node ${process.version}, ${process.platform}-${process.arch}, ${cpu[0]?.model.trim() ?? "unknown CPU"} x ${cpu.length}`);
  let failed = 0;
  for (const b of selected) {
    console.log(`\n== ${b.name}: ${b.description}`);
    const t0 = performance.now();
    try {
      await b.run();
      console.log(`(${b.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.error(`bench ${b.name} FAILED: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
