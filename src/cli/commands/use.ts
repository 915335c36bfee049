/**
 * Using a trained model directory: `seqc eval` (loss and the metrics that fit
 * each loss: accuracy per step and per sequence, perplexity and bits per token
 * for cross-entropy), `seqc predict` (per-step outputs) and `seqc sample`
 * (autoregressive generation along the spec's `feedback` edge).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { checkProgram } from "../../check/check.js";
import { loadProgram } from "../../ir/program.js";
import type { Graph, Node } from "../../graph/graph.js";
import type { Dataset } from "../../backends/data/dataset.js";
import type { Vocabulary } from "../../backends/data/vocab.js";
import type { BackendName } from "../../backends/tfjs/engine.js";
import type { TfModel } from "../../backends/tfjs/exec.js";
import type { Tf } from "../../backends/tfjs/engine.js";
import { readText, UserIoError } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";
import { pickModel } from "./train.js";

type Tensor = tfTypes.Tensor;

interface Loaded {
  graph: Graph;
  model: TfModel;
  vocabularies: Record<string, Vocabulary>;
  dims: Record<string, number>;
}

/** Rebuilds a saved model from its spec text and weights. Returns an exit code if the spec no longer checks. */
async function open(dir: string, backend: BackendName | undefined, opts: OutputOptions): Promise<Loaded | number> {
  const [{ loadModel, ModelFileError }, { buildGraph }, { loadEngine }, { TfModel }, { vocabulariesFromJSON }] = await Promise.all([
    import("../../backends/save.js"),
    import("../../graph/build.js"),
    import("../../backends/tfjs/engine.js"),
    import("../../backends/tfjs/exec.js"),
    import("../../backends/data/vocab.js"),
  ]);
  let saved;
  try {
    saved = loadModel(dir);
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserIoError(e.message);
    throw e;
  }
  const program = loadProgram(saved.meta.spec.file, { text: saved.meta.spec.source, readFile: readText });
  const result = checkProgram(program);
  if (hasErrors(result.diagnostics)) {
    emitDiagnostics(result.diagnostics, program.sources, opts);
    return 1;
  }
  const graph = buildGraph(pickModel(result.models, saved.meta.spec.file, saved.meta.model));
  const engine = await loadEngine(backend);
  const model = new TfModel(graph, engine, saved.meta.dims, 0);
  model.setWeights(Object.fromEntries([...saved.weights].map(([k, v]) => [k, v.values])));
  return { graph, model, vocabularies: vocabulariesFromJSON(saved.meta.vocabularies), dims: saved.meta.dims };
}

async function dataFor(loaded: Loaded, path: string): Promise<Dataset> {
  const data = await import("../../backends/data/load.js");
  try {
    return data.loadDataset(path, loaded.graph, { vocabularies: loaded.vocabularies, seqLength: 100, window: 100 });
  } catch (e) {
    if (e instanceof data.DataError) throw new UserIoError(e.message);
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new UserIoError(`cannot read ${path}: no such file`);
    throw e;
  }
}

function nodeById(graph: Graph, id: number): Node {
  return graph.nodes.find((n) => n.id === id)!;
}

export interface Metrics {
  loss: number;
  /** Per loss: the metrics that fit it. */
  outputs: { loss: string; prediction: string; target: string; stepAccuracy?: number; sequenceAccuracy?: number; perplexity?: number; bitsPerToken?: number }[];
}

/** Loss and metrics of a model on a data set. */
export async function evaluate(loaded: Loaded, data: Dataset): Promise<Metrics> {
  const { batchTensors } = await import("../../backends/tfjs/train.js");
  const tf = loaded.model.engine.tf;
  const lossNodes = loaded.graph.losses.map((id) => nodeById(loaded.graph, id)).filter((n): n is Extract<Node, { kind: "op" }> => n.kind === "op");
  const acc = lossNodes.map(() => ({ right: 0, steps: 0, sequences: 0, allRight: 0, ce: 0, tokens: 0 }));
  let total = 0;
  for (const batch of data.batches(64, 0, false)) {
    const { inputs, free, lengths } = batchTensors(tf, batch);
    tf.tidy(() => {
      const { values, loss } = loaded.model.forward(inputs, free, lengths);
      total += loss.dataSync()[0]! * batch.examples;
      lossNodes.forEach((n, i) => {
        const pred = values.get(n.args[0]!)!;
        const target = values.get(n.args[1]!)!;
        const a = acc[i]!;
        let right: Tensor;
        if (n.op === "cross_entropy" && target.dtype === "int32") {
          right = tf.equal(tf.argMax(pred, -1), target);
          a.ce += tf.sum(values.get(n.id)!).dataSync()[0]!;
          a.tokens += target.size;
        } else if (n.op === "cross_entropy") {
          right = tf.equal(tf.argMax(pred, -1), tf.argMax(target, -1));
        } else {
          const guess = n.op === "bce_logits" ? tf.greater(pred, 0) : tf.greater(pred, 0.5);
          right = tf.equal(guess, tf.greater(target, 0.5));
        }
        // Padded steps count neither as right nor as steps.
        const real = realSteps(tf, right, batch);
        const perExample = tf.add(tf.mul(right.toFloat(), real), tf.sub(1, real)).reshape([batch.examples, -1]);
        a.right += tf.sum(tf.mul(right.toFloat(), real)).dataSync()[0]!;
        a.steps += tf.sum(tf.mul(tf.onesLike(right.toFloat()), real)).dataSync()[0]!;
        a.allRight += tf.sum(tf.min(perExample, 1)).dataSync()[0]!;
        a.sequences += batch.examples;
      });
    });
    for (const t of Object.values(inputs)) t.dispose();
  }
  const name = (id: number) => Object.entries(loaded.graph.values).find(([, v]) => v === id)?.[0] ?? `#${id}`;
  return {
    loss: total / Math.max(1, data.examples),
    outputs: lossNodes.map((n, i) => {
      const a = acc[i]!;
      const out: Metrics["outputs"][number] = {
        loss: n.op,
        prediction: name(n.args[0]!),
        target: name(n.args[1]!),
        stepAccuracy: a.right / Math.max(1, a.steps),
        sequenceAccuracy: a.allRight / Math.max(1, a.sequences),
      };
      if (a.tokens > 0) {
        const perToken = a.ce / a.tokens;
        out.perplexity = Math.exp(perToken);
        out.bitsPerToken = perToken / Math.LN2;
      }
      return out;
    }),
  };
}

/** 1 for real steps, 0 for padding, shaped to broadcast over `t` ([B, T, ...] with T the padded length dim). */
function realSteps(tf: Tf, t: Tensor, batch: Dataset): Tensor {
  const entry = Object.entries(batch.steps).find(([atom]) => batch.dims[atom] === t.shape[1]);
  if (!entry || t.rank < 2) return tf.onesLike(t.toFloat());
  const [atom, lens] = entry;
  const steps = batch.dims[atom]!;
  const data = new Float32Array(lens.length * steps);
  for (let i = 0; i < lens.length; i++) for (let k = 0; k < Math.min(steps, lens[i]!); k++) data[i * steps + k] = 1;
  return tf.tensor2d(data, [lens.length, steps]).reshape([lens.length, steps, ...Array<number>(t.rank - 2).fill(1)]);
}

export async function runEval(dir: string, dataPath: string, opts: OutputOptions & { backend?: BackendName }): Promise<number> {
  const loaded = await open(dir, opts.backend, opts);
  if (typeof loaded === "number") return loaded;
  const metrics = await evaluate(loaded, await dataFor(loaded, dataPath));
  loaded.model.dispose();
  if (opts.format === "json") {
    process.stdout.write(JSON.stringify(metrics, null, 2) + "\n");
    return 0;
  }
  const lines = [`loss ${metrics.loss.toFixed(5)}`];
  for (const o of metrics.outputs) {
    const parts = [`${o.loss}(${o.prediction}, ${o.target})`];
    if (o.stepAccuracy !== undefined) parts.push(`accuracy per step ${(100 * o.stepAccuracy).toFixed(2)}%`);
    if (o.sequenceAccuracy !== undefined) parts.push(`sequences all right ${(100 * o.sequenceAccuracy).toFixed(2)}%`);
    if (o.perplexity !== undefined) parts.push(`perplexity ${o.perplexity.toFixed(3)}`, `bits per token ${o.bitsPerToken!.toFixed(3)}`);
    lines.push(parts.join("   "));
  }
  process.stdout.write(lines.join("\n") + "\n");
  return 0;
}

/** Text of a token sequence: characters joined directly, words with spaces. */
function detokenize(v: Vocabulary, ids: ArrayLike<number>): string {
  const tokens = Array.from(ids, (i) => (v.eos !== undefined && i === v.eosId ? "\n" : v.token(i)));
  return v.isChars ? tokens.join("") : tokens.join(" ");
}

export async function runPredict(dir: string, dataPath: string, opts: OutputOptions & { backend?: BackendName; value?: string }): Promise<number> {
  const loaded = await open(dir, opts.backend, opts);
  if (typeof loaded === "number") return loaded;
  const { batchTensors } = await import("../../backends/tfjs/train.js");
  const tf = loaded.model.engine.tf;
  const data = await dataFor(loaded, dataPath);
  const lossNode = nodeById(loaded.graph, loaded.graph.losses[0]!);
  const valueId = opts.value !== undefined ? loaded.graph.values[opts.value] : lossNode.kind === "op" ? lossNode.args[0] : undefined;
  if (valueId === undefined) throw new UserIoError(`the model has no value ${opts.value}`);
  const inputNode = loaded.graph.nodes.find((n): n is Extract<Node, { kind: "input" }> => n.kind === "input" && n.role === "input")!;
  const out: string[] = [];
  for (const batch of data.batches(64, 0, false)) {
    const { inputs, free } = batchTensors(tf, batch);
    const value = tf.tidy(() => loaded.model.forward(inputs, free).values.get(valueId)!.arraySync()) as unknown[];
    const field = batch.fields[inputNode.name]!;
    const per = field.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < batch.examples; i++) {
      const row = field.data.subarray(i * per, (i + 1) * per);
      const vocab = inputNode.vocab ? loaded.vocabularies[inputNode.vocab] : undefined;
      const label = vocab ? detokenize(vocab, row.slice(0, field.lengths?.[i] ?? row.length)) : JSON.stringify(Array.from(row));
      out.push(`${label}\t${JSON.stringify(roundDeep(value[i], 4))}`);
    }
    for (const t of Object.values(inputs)) t.dispose();
  }
  loaded.model.dispose();
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

function roundDeep(v: unknown, digits: number): unknown {
  if (typeof v === "number") return Number(v.toFixed(digits));
  if (Array.isArray(v)) return v.map((x) => roundDeep(x, digits));
  return v;
}

export interface SampleOptions extends OutputOptions {
  backend?: BackendName;
  prime: string;
  length: number;
  temperature: number;
  greedy: boolean;
  seed: number;
}

export async function runSample(dir: string, opts: SampleOptions): Promise<number> {
  const loaded = await open(dir, opts.backend, opts);
  if (typeof loaded === "number") return loaded;
  const { Rng } = await import("../../backends/init.js");
  const fb = loaded.graph.feedback;
  if (!fb) throw new UserIoError(`the model has no \`feedback x from logits\`: nothing says how to generate`);
  const input = loaded.graph.nodes.find((n): n is Extract<Node, { kind: "input" }> => n.kind === "input" && n.name === fb.input)!;
  const vocab = loaded.vocabularies[input.vocab!];
  if (!vocab) throw new UserIoError(`no vocabulary ${input.vocab} saved with the model`);
  const tf = loaded.model.engine.tf;
  const primeTokens = vocab.isChars ? [...opts.prime] : opts.prime.split(/\s+/).filter(Boolean);
  const ids = primeTokens.map((t) => vocab.id(t));
  const rng = new Rng(opts.seed);
  const others = loaded.graph.nodes.filter((n): n is Extract<Node, { kind: "input" }> => n.kind === "input" && n.name !== fb.input);
  for (let step = 0; step < opts.length; step++) {
    const T = ids.length;
    const inputs: Record<string, Tensor> = { [fb.input]: tf.tensor([ids], [1, T], "int32") };
    // Targets are not needed to generate; zeros of the right shape let the loss be computed harmlessly.
    for (const o of others) {
      const { dimValue } = await import("../../backends/tfjs/exec.js");
      const shape = [1, ...o.shape.map((d) => dimValue(loaded.graph, d, { ...loaded.dims, T }))];
      inputs[o.name] = o.vocab ? tf.zeros(shape, "int32") : tf.zeros(shape);
    }
    const probs = tf.tidy(() => {
      const logits = loaded.model.forward(inputs, { ...loaded.dims, T }).values.get(loaded.graph.values[fb.source]!)!;
      const last = logits.reshape([T, -1]).slice([T - 1, 0], [1, -1]).reshape([-1]);
      return tf.softmax(tf.div(last, Math.max(opts.temperature, 1e-6))).dataSync() as Float32Array;
    });
    for (const t of Object.values(inputs)) t.dispose();
    let next = 0;
    if (opts.greedy) {
      for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[next]!) next = i;
    } else {
      let r = rng.next();
      next = probs.length - 1;
      for (let i = 0; i < probs.length; i++) {
        r -= probs[i]!;
        if (r < 0) {
          next = i;
          break;
        }
      }
    }
    if (fb.until !== undefined && vocab.token(next) === fb.until) break;
    ids.push(next);
  }
  loaded.model.dispose();
  process.stdout.write(detokenize(vocab, ids) + "\n");
  return 0;
}
