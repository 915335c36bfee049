/**
 * Decoding along a graph's `feedback x from logits (until STOP)` edge: the
 * token input `x` grows by one token per step, drawn from the scores
 * `logits` give at its last step, while the model's other inputs (the source
 * of a seq2seq model) stay fixed. Three ways to choose the next token:
 *
 *   greedyDecode  the most likely token (a batch of rows at once);
 *   sampleDecode  a token drawn from softmax(logits / temperature);
 *   beamSearch    the `width` best prefixes by log-probability, ranked at the
 *                 end by the length-normalised score logP / len^alpha.
 *
 * Each step re-runs the whole forward pass on the sequence so far (sequences
 * are short); the hypotheses of a beam run as one batch of rows. Targets the
 * loss needs are fed zeros of the right shape: they do not change the logits.
 * `len` counts the generated tokens, the stop token included, not the start.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Dim, Graph, Node } from "../../graph/graph.js";
import { dimTable, dimValue, type DimValues } from "../../graph/dims.js";
import type { TfModel } from "./exec.js";
import { closedLoop as runClosedLoop, ClosedLoopError } from "../../runtime/closed-loop.js";

type Tensor = tfTypes.Tensor;
type InputNode = Extract<Node, { kind: "input" }>;

/** One decoded sequence. */
export interface Hypothesis {
  /** The generated tokens: after the start tokens, without the stop token. */
  ids: number[];
  /** Sum of the log-probabilities of the generated tokens, the stop token included. */
  logProb: number;
  /** logProb / len^alpha, len = generated tokens (stop included); for greedy and sampling alpha = 0 (score = logProb). */
  score: number;
  /** True when the sequence ended with the stop token, false when it reached maxLength. */
  finished: boolean;
}

export interface DecodeOptions {
  /** At most this many tokens are generated (the stop token counts). */
  maxLength: number;
  /** Generation of a row ends with this token (default: the feedback's `until` token is not known here, so none). */
  stopId?: number;
}

export interface BeamOptions extends DecodeOptions {
  width: number;
  /** Length normalisation: hypotheses are ranked by logP / len^alpha (0: raw log-probability). Default 0. */
  alpha?: number;
}

export interface SampleOptions extends DecodeOptions {
  /** Below 1 sharper, above 1 more random. Default 1. */
  temperature?: number;
  /** Uniform numbers in [0, 1), e.g. `Rng` of src/runtime/init.ts. */
  rng: { next(): number };
}

/** A mistake in how decoding was asked for (no feedback edge, missing inputs, ...). */
export class DecodeError extends Error {}

/** The length-normalised score of a hypothesis of `length` generated tokens. */
export function normalisedScore(logProb: number, length: number, alpha: number): number {
  return alpha === 0 || length === 0 ? logProb : logProb / Math.pow(length, alpha);
}

/**
 * What decoding needs to know about a graph: the feedback input and source,
 * and how to build a batch of inputs for a growing sequence.
 */
class Decoder {
  readonly feedback: { input: string; source: string; until?: string };
  private readonly inputNode: InputNode;
  private readonly sourceId: number;
  private readonly others: InputNode[];
  /** Free dims bound by the fixed inputs' shapes. */
  private readonly fixedFree: DimValues;
  private readonly rows: number;

  constructor(
    readonly model: TfModel,
    readonly graph: Graph,
    readonly fixed: Record<string, Tensor>,
  ) {
    const fb = graph.feedback;
    if (!fb) throw new DecodeError("the model has no `feedback x from logits`: nothing says how to generate");
    this.feedback = fb;
    const inputs = graph.nodes.filter((n): n is InputNode => n.kind === "input");
    this.inputNode = inputs.find((n) => n.name === fb.input)!;
    if (this.inputNode.shape.length !== 1) throw new DecodeError(`the feedback input ${fb.input} must be a sequence of tokens, [T] of a vocabulary`);
    const sourceId = graph.values[fb.source];
    if (sourceId === undefined) throw new DecodeError(`the model has no value ${fb.source}`);
    this.sourceId = sourceId;
    const sourceNode = graph.nodes.find((n) => n.id === sourceId)!;
    if (sourceNode.shape.length !== 2) throw new DecodeError(`the feedback source ${fb.source} must give one vector of scores per step, [T, V]`);
    this.others = inputs.filter((n) => n.name !== fb.input);
    const given = Object.keys(fixed);
    const rows = new Set(given.map((k) => fixed[k]!.shape[0]!));
    if (rows.size > 1) throw new DecodeError(`the fixed inputs have different batch sizes: ${[...rows].join(", ")}`);
    this.rows = rows.size === 1 ? [...rows][0]! : 1;
    for (const name of given) {
      if (!this.others.some((n) => n.name === name)) throw new DecodeError(`the model has no input ${name} besides the feedback input ${fb.input}`);
    }
    for (const n of this.others) {
      if (n.role === "input" && !fixed[n.name]) throw new DecodeError(`decoding needs the input ${n.name}`);
    }
    this.fixedFree = {};
    for (const n of this.others) {
      const t = fixed[n.name];
      if (!t) continue;
      // Free dims saved with a model (e.g. the padded training lengths) are overridden by the actual shapes.
      n.shape.forEach((d, i) => Object.assign(this.fixedFree, solved(graph, d, t.shape[i + 1]!)));
    }
  }

  get batchRows(): number {
    return this.rows;
  }

  /**
   * Log-probabilities of the next token for each row of `seqs` (all of one
   * length), [rows][V], after dividing the scores by `temperature`. `tile`
   * repeats each fixed input's single row for every sequence (beam search).
   */
  nextLogProbs(seqs: number[][], temperature = 1, tile = false): Float32Array[] {
    const tf = this.model.engine.tf;
    const rows = seqs.length;
    const length = seqs[0]!.length;
    const ids = new Int32Array(rows * length);
    seqs.forEach((s, r) => ids.set(s, r * length));
    const free: DimValues = { ...this.fixedFree, ...solved(this.graph, this.inputNode.shape[0]!, length) };
    const out = tf.tidy(() => {
      const inputs: Record<string, Tensor> = { [this.feedback.input]: tf.tensor2d(ids, [rows, length], "int32") };
      for (const n of this.others) {
        const t = this.fixed[n.name];
        if (t) {
          inputs[n.name] = tile && t.shape[0] !== rows ? tf.tile(t, [rows, ...Array<number>(t.rank - 1).fill(1)]) : t;
          continue;
        }
        let shape: number[];
        try {
          shape = [rows, ...n.shape.map((d) => dimValue(this.graph, d, { ...this.model.fixedDims, ...free }))];
        } catch {
          throw new DecodeError(`cannot tell the shape of ${n.role} ${n.name} while decoding: give it as a fixed input`);
        }
        inputs[n.name] = n.vocab !== undefined ? tf.zeros(shape, "int32") : tf.zeros(shape);
      }
      const source = this.model.forward(inputs, free).values.get(this.sourceId)!;
      // [rows, T, V] -> the scores of the last step, [rows, V].
      const last = tf.gather(source, source.shape[1]! - 1, 1);
      const scaled = temperature === 1 ? last : tf.div(last, Math.max(temperature, 1e-6));
      return tf.logSoftmax(scaled, -1);
    });
    const data = out.dataSync() as Float32Array;
    const v = out.shape[1]!;
    out.dispose();
    return Array.from({ length: rows }, (_, r) => data.subarray(r * v, (r + 1) * v));
  }
}

/** The free dim that an axis of `length` gives, when the axis is linear in one (`T`, `2*T`, `T+1`) and the length fits it. */
function solved(graph: Graph, d: Dim, length: number): DimValues {
  const table = dimTable(graph);
  const s = table.solve(d, length, table.bound());
  return s?.unit !== undefined ? { [s.atom]: table.value(s.atom, s.unit) } : {};
}

function checkStart(start: number[], opts: DecodeOptions): void {
  if (start.length === 0) throw new DecodeError("decoding needs at least one start token (e.g. <bos>, or a prime)");
  if (!(Number.isInteger(opts.maxLength) && opts.maxLength >= 0)) throw new DecodeError(`maxLength ${opts.maxLength} is not a whole number >= 0`);
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

/**
 * Greedy decoding of every row of `fixedInputs` (each input with a leading
 * batch axis; rows share their shapes), all from `start`: at each step the
 * most likely token. Rows that have stopped are carried along unchanged.
 */
export function greedyDecode(model: TfModel, graph: Graph, fixedInputs: Record<string, Tensor>, start: number[], opts: DecodeOptions): Hypothesis[] {
  checkStart(start, opts);
  const dec = new Decoder(model, graph, fixedInputs);
  const rows = dec.batchRows;
  const seqs = Array.from({ length: rows }, () => [...start]);
  const hyps: Hypothesis[] = Array.from({ length: rows }, () => ({ ids: [], logProb: 0, score: 0, finished: false }));
  for (let step = 0; step < opts.maxLength && hyps.some((h) => !h.finished); step++) {
    const lp = dec.nextLogProbs(seqs);
    hyps.forEach((h, r) => {
      if (h.finished) {
        seqs[r]!.push(opts.stopId ?? 0);
        return;
      }
      const next = argmax(lp[r]!);
      h.logProb += lp[r]![next]!;
      seqs[r]!.push(next);
      if (next === opts.stopId) h.finished = true;
      else h.ids.push(next);
    });
  }
  for (const h of hyps) h.score = h.logProb;
  return hyps;
}

/** Sampling, one row: each token drawn from softmax(logits / temperature) with `rng`. */
export function sampleDecode(model: TfModel, graph: Graph, fixedInputs: Record<string, Tensor>, start: number[], opts: SampleOptions): Hypothesis {
  checkStart(start, opts);
  const dec = new Decoder(model, graph, fixedInputs);
  if (dec.batchRows !== 1) throw new DecodeError("sampleDecode decodes one row: give fixed inputs with a batch of 1");
  const seq = [...start];
  const h: Hypothesis = { ids: [], logProb: 0, score: 0, finished: false };
  for (let step = 0; step < opts.maxLength; step++) {
    const lp = dec.nextLogProbs([seq], opts.temperature ?? 1)[0]!;
    let r = opts.rng.next();
    let next = lp.length - 1;
    for (let i = 0; i < lp.length; i++) {
      r -= Math.exp(lp[i]!);
      if (r < 0) {
        next = i;
        break;
      }
    }
    h.logProb += lp[next]!;
    seq.push(next);
    if (next === opts.stopId) {
      h.finished = true;
      break;
    }
    h.ids.push(next);
  }
  h.score = h.logProb;
  return h;
}

/**
 * Beam search for one row of `fixedInputs`: keeps the `width` most likely
 * prefixes (by log-probability; all live prefixes have the same length, so
 * the length normalisation does not change their order). A prefix that
 * chooses the stop token is finished and its slot leaves the beam, so the
 * beam narrows to `width - finished` until `width` hypotheses are finished
 * (width 1 is greedy decoding). Prefixes still live at maxLength are kept
 * as unfinished hypotheses. Returns the hypotheses, best first by
 * logP / len^alpha.
 */
export function beamSearch(model: TfModel, graph: Graph, fixedInputs: Record<string, Tensor>, start: number[], opts: BeamOptions): Hypothesis[] {
  checkStart(start, opts);
  if (!(Number.isInteger(opts.width) && opts.width >= 1)) throw new DecodeError(`beam width ${opts.width} is not a whole number >= 1`);
  const alpha = opts.alpha ?? 0;
  const dec = new Decoder(model, graph, fixedInputs);
  if (dec.batchRows !== 1) throw new DecodeError("beamSearch decodes one row: give fixed inputs with a batch of 1");
  let live: { seq: number[]; ids: number[]; logProb: number }[] = [{ seq: [...start], ids: [], logProb: 0 }];
  const done: Hypothesis[] = [];
  for (let step = 0; step < opts.maxLength && live.length > 0 && done.length < opts.width; step++) {
    const lp = dec.nextLogProbs(live.map((b) => b.seq), 1, true);
    const room = opts.width - done.length;
    // The `room` best expansions: per beam its `room` best tokens suffice.
    const candidates: { beam: number; token: number; logProb: number }[] = [];
    lp.forEach((p, beam) => {
      const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
      for (const token of order.slice(0, room)) candidates.push({ beam, token, logProb: live[beam]!.logProb + p[token]! });
    });
    candidates.sort((a, b) => b.logProb - a.logProb || a.beam - b.beam || a.token - b.token);
    const next: typeof live = [];
    for (const c of candidates.slice(0, room)) {
      const b = live[c.beam]!;
      if (c.token === opts.stopId) {
        done.push({ ids: [...b.ids], logProb: c.logProb, score: normalisedScore(c.logProb, b.ids.length + 1, alpha), finished: true });
      } else {
        next.push({ seq: [...b.seq, c.token], ids: [...b.ids, c.token], logProb: c.logProb });
      }
    }
    live = next;
  }
  const all = [...done, ...live.map((b) => ({ ids: b.ids, logProb: b.logProb, score: normalisedScore(b.logProb, b.ids.length, alpha), finished: false }))];
  // Stable: among equal scores the earlier (finished first, then more likely) wins.
  return all.sort((a, b) => b.score - a.score);
}

/**
 * Closed-loop generation along `feedback x from p` with real-valued x on this
 * target (src/runtime/closed-loop.ts says how, and checks causality; its
 * refusal becomes a DecodeError). `fixedInputs` hold every other input over
 * the whole horizon (the exogenous series), each [rows, T, ...]; the result
 * is p for every row and step, [rows][T][...] flattened per row. Each step
 * runs the whole forward pass (series are short).
 */
export function closedLoop(model: TfModel, graph: Graph, fixedInputs: Record<string, Tensor>, steps: number): Float32Array[] {
  const fb = graph.feedback;
  if (!fb) throw new DecodeError("the model has no `feedback x from p`: nothing says what to feed back");
  const input = graph.nodes.find((n): n is InputNode => n.kind === "input" && n.name === fb.input)!;
  if (input.vocab !== undefined) throw new DecodeError(`the feedback input ${fb.input} is tokens: sample or decode it instead`);
  const sourceId = graph.values[fb.source]!;
  const tf = model.engine.tf;
  const inputs = graph.nodes.filter((n): n is InputNode => n.kind === "input");
  const rows = Object.values(fixedInputs)[0]?.shape[0] ?? 1;
  const free: DimValues = { ...solved(graph, input.shape[0]!, steps) };
  for (const n of inputs) {
    const t = fixedInputs[n.name];
    if (t) n.shape.forEach((d, i) => Object.assign(free, solved(graph, d, t.shape[i + 1]!)));
    else if (n.role === "input" && n.name !== fb.input) throw new DecodeError(`closed-loop generation needs the input ${n.name}`);
  }
  const shapeOf = (n: InputNode) => [rows, ...n.shape.map((d) => dimValue(graph, d, { ...model.fixedDims, ...free }))];
  const fbShape = shapeOf(input);
  const per = fbShape.slice(2).reduce((a, b) => a * b, 1);
  const run = (fed: Float32Array | Float64Array): Float32Array =>
    tf.tidy(() => {
      const feed: Record<string, Tensor> = { [fb.input]: tf.tensor(fed, fbShape) };
      for (const n of inputs) {
        if (n.name === fb.input) continue;
        feed[n.name] = fixedInputs[n.name] ?? (n.vocab !== undefined ? tf.zeros(shapeOf(n), "int32") : tf.zeros(shapeOf(n)));
      }
      return model.forward(feed, free).values.get(sourceId)!.dataSync() as Float32Array;
    });
  let fed: Float32Array | Float64Array;
  try {
    fed = runClosedLoop(run, fb, rows, steps, per);
  } catch (e) {
    if (e instanceof ClosedLoopError) throw new DecodeError(e.message);
    throw e;
  }
  return Array.from({ length: rows }, (_, r) => Float32Array.from(fed.subarray(r * steps * per, (r + 1) * steps * per)));
}
