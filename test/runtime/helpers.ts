/**
 * Helpers for the runtime tests: the ModelInfo of an inline spec (the ts
 * target's own, as emitted into model.ts), a hand-written CompiledModel of a per-step
 * softmax classifier (`logits = dense<V>(one_hot(x))`, the gradient by hand),
 * and running the trainer's main() with its output captured.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, vi } from "vitest";
import { buildGraph } from "../../src/graph/build.js";
import type { Graph } from "../../src/graph/graph.js";
import { modelInfo } from "../../src/backends/ts/compile.js";
import { specSettings } from "../../src/backends/settings.js";
import type { Batch, Buf, Dims, ModelInfo, TrainDefaults, ValueView } from "../../src/runtime/model-api.js";
import { initParam } from "../../src/runtime/init.js";
import { main, type CreateModel } from "../../src/runtime/trainer.js";
import { check } from "../check/harness.js";

/** A language model over characters: per step, the next character from the current one. */
export const BIGRAM_SPEC = `model bigram {
  vocab chars[V]
  dim T
  input x: [T] of chars
  target y: [T] of chars
  logits = dense<V>(one_hot(x))
  loss cross_entropy(logits, y)
  feedback x from logits
  train { optimizer: adam(lr: 0.1), batch: 4, epochs: 5 }
}
`;

export function tempDir(prefix = "seqc-rt-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The graph, spec settings and ModelInfo of an inline spec (file name spec.seq). */
export function compile(source: string): { graph: Graph; info: ModelInfo; settings: TrainDefaults } {
  const r = check(source);
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  const m = r.models[0]!;
  const graph = buildGraph(m);
  const settings = specSettings(m.model);
  return { graph, settings, info: modelInfo(graph, settings, { file: "spec.seq", source }, { precision: "f32" }) };
}

/** Calls recorded by a model, for the trainer's tests. */
export interface Calls {
  /** Each forward pass: its batch, and the dropout seed it ran with (setTraining; undefined: none). */
  forwards: { size: number; dims: Dims; x: number[]; dropout: number | undefined }[];
  initialStates: (Record<string, Buf> | undefined)[];
  created: { dims: Dims; maxBatch: number }[];
}

/**
 * The bigram model written by hand: logits[n, t] = W[:, x[n, t]] + b, loss =
 * sum over steps of the softmax cross-entropy, averaged over the batch. With
 * `scan`, it also reports a fake scan `h` whose state `s` is the running sum
 * of the inputs plus the initial state (it does not touch the loss), so the
 * carrying of states can be checked.
 */
export function bigram(info: ModelInfo, calls?: Calls, opts: { scan?: boolean } = {}): CreateModel {
  return (dims, maxBatch) => {
    calls?.created.push({ dims: { ...dims }, maxBatch });
    const V = dims["V"]!;
    const Tmax = dims["T"]!;
    expect(V).toBeGreaterThan(0);
    expect(Tmax).toBeGreaterThan(0);
    const params = new Float32Array(V * V + V);
    const grads = new Float32Array(V * V + V);
    const layout = { "logits.W": { offset: 0, size: V * V, shape: [V, V] }, "logits.b": { offset: V * V, size: V, shape: [V] } };
    const logits = new Float32Array(maxBatch * Tmax * V);
    let last: { size: number; T: number; x: Int32Array; y: Int32Array } | undefined;
    let initial: Record<string, Buf> | undefined;
    let dropout: number | undefined;
    const state = new Float32Array(maxBatch);
    return {
      info,
      params,
      grads,
      layout,
      init(seed) {
        initParam(params, 0, [V, V], { kind: "glorot" }, seed, "logits.W");
        initParam(params, V * V, [V], { kind: "zeros" }, seed, "logits.b");
      },
      forward(batch: Batch) {
        const T = batch.dims["T"]!;
        if (batch.size > maxBatch) throw new Error(`batch ${batch.size} > maxBatch ${maxBatch}`);
        if (T > Tmax) throw new Error(`T ${T} > max ${Tmax}`);
        if (batch.dims["V"] !== V) throw new Error(`batch V ${batch.dims["V"]} is not ${V}`);
        const x = batch.fields["x"] as Int32Array;
        const y = batch.fields["y"] as Int32Array;
        if (x.length !== batch.size * T || y.length !== batch.size * T) throw new Error("fields do not match the batch's dims");
        calls?.forwards.push({ size: batch.size, dims: { ...batch.dims }, x: [...x], dropout });
        calls?.initialStates.push(initial);
        let loss = 0;
        for (let p = 0; p < batch.size * T; p++) {
          const xi = x[p]!;
          let max = -Infinity;
          for (let v = 0; v < V; v++) {
            const z = params[v * V + xi]! + params[V * V + v]!;
            logits[p * V + v] = z;
            max = Math.max(max, logits[p * V + v]!);
          }
          let sum = 0;
          for (let v = 0; v < V; v++) sum += Math.exp(logits[p * V + v]! - max);
          loss += max + Math.log(sum) - logits[p * V + y[p]!]!;
        }
        for (let n = 0; n < batch.size; n++) {
          let s = initial?.["h.s"]?.[n] ?? 0;
          for (let t = 0; t < T; t++) s += x[n * T + t]!;
          state[n] = s;
        }
        last = { size: batch.size, T, x, y };
        return loss / batch.size;
      },
      backward() {
        if (!last) throw new Error("backward before forward");
        grads.fill(0);
        const { size, T, x, y } = last;
        for (let p = 0; p < size * T; p++) {
          let max = -Infinity;
          for (let v = 0; v < V; v++) max = Math.max(max, logits[p * V + v]!);
          let sum = 0;
          for (let v = 0; v < V; v++) sum += Math.exp(logits[p * V + v]! - max);
          for (let v = 0; v < V; v++) {
            const g = (Math.exp(logits[p * V + v]! - max) / sum - (v === y[p] ? 1 : 0)) / size;
            grads[v * V + x[p]!] += g;
            grads[V * V + v] += g;
          }
        }
      },
      value(name: string): ValueView {
        if (!last) throw new Error("value before forward");
        if (name === "logits") return { data: logits, offset: 0, shape: [last.size, last.T, V] };
        throw new Error(`no value ${name}`);
      },
      lossValue(i: number): ValueView {
        if (i !== 0) throw new Error(`no loss ${i}`);
        return this.value("logits");
      },
      lossTarget(i: number): ValueView {
        if (i !== 0 || !last) throw new Error(`no loss ${i}`);
        return { data: last.y, offset: 0, shape: [last.size, last.T] };
      },
      finalStates(): Record<string, ValueView> {
        if (!opts.scan || !last) return {};
        return { "h.s": { data: state, offset: 0, shape: [last.size] } };
      },
      setInitialStates(states) {
        initial = states;
      },
      setTraining(seed) {
        dropout = seed;
      },
    };
  };
}

/** Runs the trainer's main() with stdout and stderr captured. */
export async function run(argv: string[], info: ModelInfo, create: CreateModel): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await main(argv, info, create);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** The per-epoch losses a training run printed. */
export function epochLosses(stdout: string): number[] {
  return [...stdout.matchAll(/^epoch \d+\/\d+ .*?loss (\S+)/gm)].map((m) => Number(m[1]));
}
