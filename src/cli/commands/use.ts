/**
 * Using a trained model directory: `seqc eval` (loss and the metrics that fit
 * each loss: accuracy per step and per sequence, perplexity and bits per token
 * for cross-entropy), `seqc predict` (per-step outputs) and `seqc sample`
 * (autoregressive generation along the spec's `feedback` edge).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { lossTerms, type Graph, type Node } from "../../graph/graph.js";
import type { Dataset } from "../../backends/tfjs/dataset.js";
import type { Metrics } from "../../runtime/metrics.js";
import { textIds, type Vocabulary } from "../../runtime/vocab.js";
import { ClosedLoopReport, errorField, roundDeep } from "../../runtime/closed-loop.js";
import type { BackendName } from "../../backends/tfjs/engine.js";
import type { TfModel } from "../../backends/tfjs/exec.js";
import type { Hypothesis } from "../../backends/tfjs/decode.js";
import { UserIoError } from "../io.js";
import type { OutputOptions } from "../output.js";
import { loadData, readingData } from "../data.js";
import { reopen } from "../reopen.js";

type Tensor = tfTypes.Tensor;

interface Loaded {
  graph: Graph;
  model: TfModel;
  vocabularies: Record<string, Vocabulary>;
}

/** Rebuilds a saved model from its spec text and weights. Returns an exit code if the spec no longer checks. */
async function open(dir: string, backend: BackendName | undefined, opts: OutputOptions): Promise<Loaded | number> {
  const [reopened, { loadEngine }, { TfModel }, { vocabulariesFromJSON }] = await Promise.all([
    reopen(dir, opts),
    import("../../backends/tfjs/engine.js"),
    import("../../backends/tfjs/exec.js"),
    import("../../runtime/vocab.js"),
  ]);
  if (typeof reopened === "number") return reopened;
  const { saved, graph } = reopened;
  const engine = await loadEngine(backend);
  const model = new TfModel(graph, engine, saved.meta.dims, 0);
  model.setWeights(Object.fromEntries([...saved.weights].map(([k, v]) => [k, v.values])));
  return { graph, model, vocabularies: vocabulariesFromJSON(saved.meta.vocabularies) };
}

/** The data of an eval or predict run, cut like the training data (sequences of at most 100 steps), or an exit code. */
function dataFor(loaded: Loaded, path: string): Promise<Dataset | number> {
  return loadData(path, loaded.graph, { vocabularies: loaded.vocabularies, seqLength: 100, window: 100 });
}

function nodeById(graph: Graph, id: number): Node {
  return graph.nodes.find((n) => n.id === id)!;
}


/** Loss and metrics of a model on a data set. */
export async function evaluate(loaded: Loaded, data: Dataset): Promise<Metrics> {
  const [{ batchTensors }, { newTally, scoresOf }] = await Promise.all([import("../../backends/tfjs/train.js"), import("../../runtime/metrics.js")]);
  const tf = loaded.model.engine.tf;
  const lossNodes = lossTerms(loaded.graph);
  const acc = lossNodes.map(newTally);
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
        const tokens = n.op === "cross_entropy" && target.dtype === "int32";
        if (tokens) {
          right = tf.equal(tf.argMax(pred, -1), target);
          a.ce += tf.sum(values.get(n.id)!).dataSync()[0]!;
        } else if (n.op === "cross_entropy") {
          right = tf.equal(tf.argMax(pred, -1), tf.argMax(target, -1));
        } else {
          const guess = n.op === "bce_logits" ? tf.greater(pred, 0) : tf.greater(pred, 0.5);
          right = tf.equal(guess, tf.greater(target, 0.5));
        }
        // Padded steps count neither as right nor as steps.
        const mask = loaded.model.maskOf(n.args[1]!);
        const real = mask ? mask.reshape([...mask.shape, ...Array<number>(right.rank - 2).fill(1)]) : tf.onesLike(right.toFloat());
        const perExample = tf.add(tf.mul(right.toFloat(), real), tf.sub(1, real)).reshape([batch.examples, -1]);
        a.right += tf.sum(tf.mul(right.toFloat(), real)).dataSync()[0]!;
        const steps = tf.sum(tf.mul(tf.onesLike(right.toFloat()), real)).dataSync()[0]!;
        a.steps += steps;
        // Perplexity is per real token: padded steps are not tokens.
        if (tokens) a.tokens += steps;
        a.allRight += tf.sum(tf.min(perExample, 1)).dataSync()[0]!;
        a.sequences += batch.examples;
      });
    });
    for (const t of Object.values(inputs)) t.dispose();
  }
  // An unnamed value (e.g. `loss cross_entropy(dense<V>(h), y)`) is "prediction" or "target", as the emitted trainer says.
  const name = (id: number, unnamed: string) => Object.entries(loaded.graph.values).find(([, v]) => v === id)?.[0] ?? unnamed;
  return {
    loss: total / Math.max(1, data.examples),
    outputs: lossNodes.map((n, i) => ({ loss: n.op, prediction: name(n.args[0]!, "prediction"), target: name(n.args[1]!, "target"), ...scoresOf(acc[i]!) })),
  };
}

export async function runEval(dir: string, dataPath: string, opts: OutputOptions & { backend?: BackendName }): Promise<number> {
  const loaded = await open(dir, opts.backend, opts);
  if (typeof loaded === "number") return loaded;
  const data = await dataFor(loaded, dataPath);
  if (typeof data === "number") return data;
  const metrics = await evaluate(loaded, data);
  loaded.model.dispose();
  if (opts.format === "json") {
    process.stdout.write(JSON.stringify(metrics, null, 2) + "\n");
    return 0;
  }
  const { metricsReport } = await import("../../runtime/metrics.js");
  process.stdout.write(metricsReport(metrics));
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
  if (typeof data === "number") return data;
  const lossNode = lossTerms(loaded.graph)[0];
  const valueId = opts.value !== undefined ? loaded.graph.values[opts.value] : lossNode?.args[0];
  if (valueId === undefined) {
    throw new UserIoError(opts.value !== undefined ? `the model has no value ${opts.value}` : `the model's loss has no builtin loss whose prediction predict could print: name the value with --value`);
  }
  const inputNode = loaded.graph.nodes.find((n): n is Extract<Node, { kind: "input" }> => n.kind === "input" && n.role === "input")!;
  // Token outputs: the logits of a cross-entropy against tokens, labelled by their most likely token.
  const targetNode = lossNode?.op === "cross_entropy" && valueId === lossNode.args[0] ? nodeById(loaded.graph, lossNode.args[1]!) : undefined;
  const labels = targetNode?.vocab !== undefined ? loaded.vocabularies[targetNode.vocab] : undefined;
  const json = opts.format === "json";
  const out: string[] = [];
  for (const batch of data.batches(64, 0, false)) {
    const { inputs, free, lengths } = batchTensors(tf, batch);
    let value: unknown[] = [];
    // Each example's real steps of the value's own first axis (the target's length U in a seq2seq, not the source's).
    let steps: number[] | undefined;
    tf.tidy(() => {
      value = loaded.model.forward(inputs, free, lengths).values.get(valueId)!.arraySync() as unknown[];
      const mask = loaded.model.maskOf(valueId);
      steps = mask ? (tf.sum(mask, 1).arraySync() as number[]) : undefined;
    });
    const field = batch.fields[inputNode.name]!;
    const per = field.shape.reduce((a, b) => a * b, 1);
    for (let i = 0; i < batch.examples; i++) {
      const real = field.lengths?.[i] ?? field.shape[0] ?? 0;
      const row = field.data.subarray(i * per, (i + 1) * per);
      const vocab = inputNode.vocab ? loaded.vocabularies[inputNode.vocab] : undefined;
      const label = vocab ? detokenize(vocab, row.slice(0, real)) : JSON.stringify(Array.from(row));
      // Outputs at padded steps are not the example's: only its real steps are printed.
      const output = steps && Array.isArray(value[i]) ? (value[i] as unknown[]).slice(0, steps[i]) : value[i];
      if (json) {
        // Full precision (each float32 value exactly), one JSON object per line.
        const realPart = field.lengths ? row.subarray(0, real * (per / Math.max(1, field.shape[0]!))) : row;
        const line: Record<string, unknown> = { example: batch.indices[i]! + 1, input: vocab ? label : Array.from(realPart), output };
        if (labels) line["labels"] = argmaxLabels(output, labels);
        out.push(JSON.stringify(line));
      } else out.push(`${label}\t${JSON.stringify(roundDeep(output, 4))}`);
    }
    for (const t of Object.values(inputs)) t.dispose();
  }
  loaded.model.dispose();
  process.stdout.write(out.join("\n") + "\n");
  return 0;
}

/** The most likely token of each vector of logits (the last axis), as nested arrays like the output's leading axes. */
function argmaxLabels(v: unknown, vocab: Vocabulary): unknown {
  if (!Array.isArray(v)) return undefined;
  if (v.length > 0 && typeof v[0] === "number") {
    let best = 0;
    (v as number[]).forEach((x, k) => {
      if (x > (v as number[])[best]!) best = k;
    });
    return vocab.token(best);
  }
  return v.map((x) => argmaxLabels(x, vocab));
}

export interface SampleOptions extends OutputOptions {
  backend?: BackendName;
  /** The start of the sequence (language models); with `input`, extra start tokens after `start`. */
  prime: string;
  /** At most this many tokens are generated. */
  length: number;
  temperature: number;
  greedy: boolean;
  seed: number;
  /** JSONL of the model's other inputs (e.g. a seq2seq source `x`): one decoding per line. */
  input?: string;
  /** Beam search of this width instead of sampling (1 is greedy). */
  beam?: number;
  /** Length normalisation of beam search: hypotheses ranked by logP / len^alpha. Default 0.7. */
  alpha?: number;
  /** The start token(s) of every generated sequence (whitespace-separated); default `<bos>` when the vocabulary has it. */
  start?: string;
  /** With `input`: exact-match accuracy of greedy and of beam decoding against each line's target field. */
  compare?: boolean;
}

/** Default length normalisation of beam search (as GNMT's 0.6..0.7). */
export const DEFAULT_ALPHA = 0.7;
/** Default beam width of `--compare` when no `--beam` is given. */
export const DEFAULT_COMPARE_WIDTH = 3;

type InputNode = Extract<Node, { kind: "input" }>;

/** What generation needs: the feedback input, its vocabulary and its stop token. */
function feedbackOf(loaded: Loaded): { input: InputNode; vocab: Vocabulary; stopId?: number; fb: NonNullable<Graph["feedback"]> } {
  const fb = loaded.graph.feedback;
  if (!fb) throw new UserIoError(`the model has no \`feedback x from logits\`: nothing says how to generate`);
  const input = loaded.graph.nodes.find((n): n is InputNode => n.kind === "input" && n.name === fb.input)!;
  const vocab = loaded.vocabularies[input.vocab!];
  if (!vocab) throw new UserIoError(`no vocabulary ${input.vocab} saved with the model`);
  const stopId = fb.until !== undefined && vocab.has(fb.until) ? vocab.id(fb.until) : undefined;
  return { input, vocab, fb, ...(stopId !== undefined ? { stopId } : {}) };
}

/** `--start`: tokens of the vocabulary, separated by spaces (e.g. `<bos>`). */
function startTokenIds(vocab: Vocabulary, text: string): number[] {
  return text.split(/\s+/).filter(Boolean).map((t) => {
    if (!vocab.has(t)) throw new UserIoError(`--start: the token ${JSON.stringify(t)} is not in the vocabulary (${vocab.describe()})`);
    return vocab.id(t);
  });
}

/** `--prime`: text cut into tokens as data strings are (characters for a character vocabulary, else words). */
function primeIds(vocab: Vocabulary, text: string): number[] {
  try {
    return textIds(vocab, text, "--prime");
  } catch (e) {
    throw new UserIoError((e as Error).message);
  }
}

/** The start tokens of every sequence decoded for `--input`: --start (default <bos> when the vocabulary has it), then --prime. */
function startIds(vocab: Vocabulary, opts: SampleOptions): number[] {
  const start = opts.start ?? (vocab.has("<bos>") ? "<bos>" : "");
  const ids = [...startTokenIds(vocab, start), ...primeIds(vocab, opts.prime)];
  if (ids.length === 0) throw new UserIoError(`nothing to start generating from: the vocabulary has no <bos>; give --start TOKEN or --prime TEXT`);
  return ids;
}

export async function runSample(dir: string, opts: SampleOptions): Promise<number> {
  const loaded = await open(dir, opts.backend, opts);
  if (typeof loaded === "number") return loaded;
  try {
    const fbInput = loaded.graph.feedback && loaded.graph.nodes.find((n): n is InputNode => n.kind === "input" && n.name === loaded.graph.feedback!.input);
    if (fbInput && fbInput.vocab === undefined) {
      if (opts.input === undefined) throw new UserIoError(`closed-loop generation of ${fbInput.name} needs the model's other inputs over the horizon: give a data file with --input FILE`);
      return await closedLoopFile(loaded, opts.input, opts);
    }
    if (opts.input !== undefined) return await decodeFile(loaded, opts.input, opts);
    if (opts.compare) throw new UserIoError("--compare needs --input FILE.jsonl (examples with their targets)");
    const { vocab, stopId } = feedbackOf(loaded);
    const needed = loaded.graph.nodes.filter((n): n is InputNode => n.kind === "input" && n.role === "input" && n.name !== loaded.graph.feedback!.input);
    if (needed.length > 0) throw new UserIoError(`the model needs ${needed.map((n) => n.name).join(", ")} to generate: give examples with --input FILE.jsonl`);
    let ids = primeIds(vocab, opts.prime);
    if (ids.length === 0) ids = startIds(vocab, opts);
    const hyp = await decodeOne(loaded, {}, ids, stopId, opts);
    process.stdout.write(detokenize(vocab, [...ids, ...hyp.ids]) + "\n");
    return 0;
  } finally {
    loaded.model.dispose();
  }
}

/**
 * `seqc sample DIR --input FILE` for real-valued feedback: each example of the
 * data (read as train reads it, e.g. CSV windows) generated closed loop, the
 * model's predictions fed back in place of the observed series; one line per
 * example, then the root-mean-square error of closed and open loop (teacher
 * forcing) against the target the source's loss compares with.
 */
async function closedLoopFile(loaded: Loaded, path: string, opts: SampleOptions): Promise<number> {
  const [dec, { batchTensors }] = await Promise.all([import("../../backends/tfjs/decode.js"), import("../../backends/tfjs/train.js")]);
  const tf = loaded.model.engine.tf;
  const fb = loaded.graph.feedback!;
  const data = await dataFor(loaded, path);
  if (typeof data === "number") return data;
  const term = lossTerms(loaded.graph).find((n) => n.args[0] === loaded.graph.values[fb.source]);
  const target = term ? nodeById(loaded.graph, term.args[1]!) : undefined;
  const targetName = errorField(fb, target?.kind === "input" ? target.name : undefined);
  const report = new ClosedLoopReport(fb, targetName, opts.format === "json");
  for (const batch of data.batches(64, 0, false)) {
    const { inputs, free, lengths } = batchTensors(tf, batch);
    const steps = inputs[fb.input]!.shape[1]!;
    const fixed = Object.fromEntries(Object.entries(inputs).filter(([k]) => k !== fb.input));
    let closed: Float32Array[];
    try {
      closed = dec.closedLoop(loaded.model, loaded.graph, fixed, steps);
    } catch (e) {
      if (e instanceof dec.DecodeError) throw new UserIoError(e.message);
      throw e;
    }
    const open = tf.tidy(() => loaded.model.forward(inputs, free, lengths).values.get(loaded.graph.values[fb.source]!)!.dataSync() as Float32Array);
    const y = batch.fields[targetName]!.data;
    closed.forEach((p, r) => report.add(batch.indices[r]!, p, open.subarray(r * p.length, (r + 1) * p.length), y.subarray(r * p.length, (r + 1) * p.length)));
    for (const t of Object.values(inputs)) t.dispose();
  }
  process.stdout.write(report.output());
  const summary = report.summary();
  if (summary) process.stderr.write(summary);
  return 0;
}

/** One sequence from `start`: beam search (--beam), greedy (--greedy) or sampling (--temperature, --seed). */
async function decodeOne(loaded: Loaded, fixed: Record<string, Tensor>, start: number[], stopId: number | undefined, opts: SampleOptions, rng?: { next(): number }): Promise<Hypothesis> {
  const dec = await import("../../backends/tfjs/decode.js");
  const base = { maxLength: opts.length, ...(stopId !== undefined ? { stopId } : {}) };
  try {
    if (opts.beam !== undefined) return dec.beamSearch(loaded.model, loaded.graph, fixed, start, { ...base, width: opts.beam, alpha: opts.alpha ?? DEFAULT_ALPHA })[0]!;
    if (opts.greedy) return dec.greedyDecode(loaded.model, loaded.graph, fixed, start, base)[0]!;
    const { Rng } = await import("../../runtime/init.js");
    return dec.sampleDecode(loaded.model, loaded.graph, fixed, start, { ...base, temperature: opts.temperature, rng: rng ?? new Rng(opts.seed) });
  } catch (e) {
    if (e instanceof dec.DecodeError) throw new UserIoError(e.message);
    throw e;
  }
}

/** One line of an --input file: the model's other inputs as tensors of one row, and (with --compare) the target's ids. */
interface InputExample {
  line: number;
  fields: Record<string, { data: number[]; shape: number[]; dtype: "int32" | "float32" }>;
  target?: number[];
}

/**
 * The lines of an --input file through the validated data loader (the same
 * messages as train and eval): the named fields only, each example at its own
 * lengths; or an exit code after printing the problems.
 */
async function readExamples(loaded: Loaded, path: string, fields: string[]): Promise<InputExample[] | number> {
  const [{ loadData: read }, { dataModel }, { dimTable }] = await Promise.all([import("../../runtime/data.js"), import("../../graph/data-model.js"), import("../../graph/dims.js")]);
  const model = dataModel(loaded.graph);
  const set = await readingData(() => read(path, model, { vocabularies: loaded.vocabularies, fields, format: "jsonl" }));
  if (typeof set === "number") return set;
  const table = dimTable(loaded.graph);
  return set.examples.map((ex) => {
    const units = table.unitsOf(ex.dims, set.vocabs);
    const out: InputExample = { line: ex.line!, fields: {} };
    for (const f of model.fields.filter((f) => fields.includes(f.name))) {
      out.fields[f.name] = { data: Array.from(ex.fields[f.name]!), shape: f.shape.map((a) => table.evaluate(a.dim, units)!), dtype: f.vocab !== undefined ? "int32" : "float32" };
    }
    return out;
  });
}

export interface CompareResult {
  examples: number;
  target: string;
  greedy: { correct: number; accuracy: number };
  beam: { width: number; alpha: number; correct: number; accuracy: number };
}

/** `seqc sample DIR --input FILE.jsonl`: decode every line; with --compare, exact-match accuracy of greedy and beam decoding. */
async function decodeFile(loaded: Loaded, path: string, opts: SampleOptions): Promise<number> {
  const dec = await import("../../backends/tfjs/decode.js");
  const { Rng } = await import("../../runtime/init.js");
  const tf = loaded.model.engine.tf;
  const { input: fbInput, vocab, stopId, fb } = feedbackOf(loaded);
  const inputs = loaded.graph.nodes.filter((n): n is InputNode => n.kind === "input" && n.role === "input" && n.name !== fb.input);
  const start = startIds(vocab, opts);
  const targetNode = opts.compare ? compareTarget(loaded, fb, fbInput) : undefined;
  const read = await readExamples(loaded, path, [...inputs.map((n) => n.name), ...(targetNode ? [targetNode.name] : [])]);
  if (typeof read === "number") return read;
  const examples = read;
  const tensorsOf = (ex: InputExample[]): Record<string, Tensor> =>
    Object.fromEntries(
      inputs.map((n) => {
        const f = ex.map((e) => e.fields[n.name]!);
        const data = f.flatMap((x) => x.data);
        return [n.name, tf.tensor(f[0]!.dtype === "int32" ? Int32Array.from(data) : Float32Array.from(data), [ex.length, ...f[0]!.shape], f[0]!.dtype)];
      }),
    );
  const base = { maxLength: opts.length, ...(stopId !== undefined ? { stopId } : {}) };
  const guard = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof dec.DecodeError) throw new UserIoError(e.message);
      throw e;
    }
  };
  /** Greedy decoding of all examples, batched by the shapes of their inputs. */
  const greedyAll = (): Hypothesis[] => {
    const out = new Array<Hypothesis>(examples.length);
    const groups = new Map<string, number[]>();
    examples.forEach((e, i) => {
      const key = JSON.stringify(inputs.map((n) => e.fields[n.name]!.shape));
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const idx of groups.values()) {
      for (let k = 0; k < idx.length; k += GREEDY_BATCH) {
        const part = idx.slice(k, k + GREEDY_BATCH);
        const fixed = tensorsOf(part.map((i) => examples[i]!));
        const hyps = guard(() => dec.greedyDecode(loaded.model, loaded.graph, fixed, start, base));
        part.forEach((i, j) => (out[i] = hyps[j]!));
        for (const t of Object.values(fixed)) t.dispose();
      }
    }
    return out;
  };
  const perExample = (f: (fixed: Record<string, Tensor>) => Hypothesis): Hypothesis[] =>
    examples.map((e) => {
      const fixed = tensorsOf([e]);
      const h = guard(() => f(fixed));
      for (const t of Object.values(fixed)) t.dispose();
      return h;
    });
  const beamAll = (width: number, alpha: number) => perExample((fixed) => dec.beamSearch(loaded.model, loaded.graph, fixed, start, { ...base, width, alpha })[0]!);
  const source = (e: InputExample) => {
    const n = inputs[0];
    if (!n) return "";
    const v = n.vocab !== undefined ? loaded.vocabularies[n.vocab] : undefined;
    return v ? detokenize(v, e.fields[n.name]!.data) : JSON.stringify(e.fields[n.name]!.data);
  };

  if (targetNode) {
    const targets = examples.map((e) => {
      const ids = e.fields[targetNode.name]!.data;
      return stopId !== undefined && ids[ids.length - 1] === stopId ? ids.slice(0, -1) : ids;
    });
    const width = opts.beam ?? DEFAULT_COMPARE_WIDTH;
    const alpha = opts.alpha ?? DEFAULT_ALPHA;
    const score = (hyps: Hypothesis[]) => hyps.filter((h, i) => sameIds(h.ids, targets[i]!)).length;
    const greedy = score(greedyAll());
    const beam = score(beamAll(width, alpha));
    const n = Math.max(1, examples.length);
    const result: CompareResult = {
      examples: examples.length,
      target: targetNode.name,
      greedy: { correct: greedy, accuracy: greedy / n },
      beam: { width, alpha, correct: beam, accuracy: beam / n },
    };
    if (opts.format === "json") process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    else {
      const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
      process.stdout.write(
        [
          `${examples.length} examples, exact match with ${targetNode.name}${stopId !== undefined ? ` (without ${fb.until})` : ""}`,
          `greedy                        ${greedy}/${examples.length}  ${pct(result.greedy.accuracy)}`,
          `beam (width ${width}, alpha ${alpha})  ${beam}/${examples.length}  ${pct(result.beam.accuracy)}`,
        ].join("\n") + "\n",
      );
    }
    return 0;
  }

  let hyps: Hypothesis[];
  if (opts.beam !== undefined) hyps = beamAll(opts.beam, opts.alpha ?? DEFAULT_ALPHA);
  else if (opts.greedy) hyps = greedyAll();
  else {
    const rng = new Rng(opts.seed);
    hyps = perExample((fixed) => dec.sampleDecode(loaded.model, loaded.graph, fixed, start, { ...base, temperature: opts.temperature, rng }));
  }
  if (opts.format === "json") {
    const rows = examples.map((e, i) => ({ line: e.line, input: source(e), output: detokenize(vocab, hyps[i]!.ids), tokens: hyps[i]!.ids.map((t) => vocab.token(t)), logProb: hyps[i]!.logProb, score: hyps[i]!.score, finished: hyps[i]!.finished }));
    process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
  } else process.stdout.write(examples.map((e, i) => `${source(e)}\t${detokenize(vocab, hyps[i]!.ids)}`).join("\n") + (examples.length ? "\n" : ""));
  return 0;
}

/** The target that --compare scores decodings against: the token target of the feedback source's loss. */
function compareTarget(loaded: Loaded, fb: NonNullable<Graph["feedback"]>, fbInput: InputNode): InputNode {
  const lossNode = lossTerms(loaded.graph).find((n) => n.args[0] === loaded.graph.values[fb.source]);
  const targetNode = lossNode ? nodeById(loaded.graph, lossNode.args[1]!) : undefined;
  if (!targetNode || targetNode.kind !== "input" || targetNode.vocab !== fbInput.vocab) {
    throw new UserIoError(`--compare: no target of ${fb.source}'s loss to compare with`);
  }
  return targetNode;
}

/** Rows decoded together by greedy decoding. */
const GREEDY_BATCH = 64;

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
