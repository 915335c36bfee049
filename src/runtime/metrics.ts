/**
 * Loss and accuracy of a model on data, as `seqc eval` reports them.
 * Runtime file: imports only its siblings.
 */
import type { CompiledModel, ModelInfo } from "./model-api.js";
import { batchOf, planBatches } from "./batches.js";
import type { DataSet } from "./data.js";
import { DimTable } from "./dims.js";

/** What one loss's output scores: accuracy per step and per sequence, and for token targets perplexity and bits per token. */
export interface Scores {
  stepAccuracy?: number;
  sequenceAccuracy?: number;
  perplexity?: number;
  bitsPerToken?: number;
}

/** Loss and accuracy of a model on data, as `seqc eval` reports them: per loss, the names of what it compares (unnamed: "prediction", "target") and its scores. */
export interface Metrics {
  loss: number;
  outputs: ({ loss: string; prediction: string; target: string } & Scores)[];
}

/** The lines `seqc eval` and an emitted trainer's eval print. */
export function metricsReport(m: Metrics): string {
  const lines = [`loss ${m.loss.toFixed(5)}`];
  for (const o of m.outputs) {
    const parts = [`${o.loss}(${o.prediction}, ${o.target})`];
    if (o.stepAccuracy !== undefined) parts.push(`accuracy per step ${(100 * o.stepAccuracy).toFixed(2)}%`);
    if (o.sequenceAccuracy !== undefined) parts.push(`sequences all right ${(100 * o.sequenceAccuracy).toFixed(2)}%`);
    if (o.perplexity !== undefined) parts.push(`perplexity ${o.perplexity.toFixed(3)}`, `bits per token ${o.bitsPerToken!.toFixed(3)}`);
    lines.push(parts.join("   "));
  }
  return lines.join("\n") + "\n";
}

/** Counts over the positions a loss compares, summed batch by batch (padded steps count for nothing). */
export interface Tally {
  right: number;
  steps: number;
  sequences: number;
  allRight: number;
  /** Summed cross entropy of token targets, in nats. */
  ce: number;
  tokens: number;
}

export function newTally(): Tally {
  return { right: 0, steps: 0, sequences: 0, allRight: 0, ce: 0, tokens: 0 };
}

/** The scores of a tally: accuracies once a sequence was seen, perplexity and bits per token once a token was. */
export function scoresOf(a: Tally): Scores {
  const o: Scores = {};
  if (a.sequences > 0) {
    o.stepAccuracy = a.right / Math.max(1, a.steps);
    o.sequenceAccuracy = a.allRight / Math.max(1, a.sequences);
  }
  if (a.tokens > 0) {
    const perToken = a.ce / a.tokens;
    o.perplexity = Math.exp(perToken);
    o.bitsPerToken = perToken / Math.LN2;
  }
  return o;
}

export function argmax(d: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (d[from + i]! > d[from + best]!) best = i;
  return best;
}

/**
 * Mean loss and, per loss, accuracy per step and per sequence as seqc eval
 * computes them: cross_entropy with token targets compares the argmax of the
 * logits with the token (and gives perplexity and bits per token), with
 * probability targets the two argmaxes; the other losses threshold the
 * prediction (0 for bce_logits, 0.5 otherwise) against target > 0.5.
 */
export function evaluate(model: CompiledModel, info: ModelInfo, data: DataSet, batchSize = 64): Metrics {
  const vocabDims = new DimTable(info.dims, info.vocabs).vocabSizes(data.vocabs);
  const acc = info.losses.map(newTally);
  let total = 0;
  let n = 0;
  for (const items of planBatches(data.examples, undefined, batchSize, data.freeDims)) {
    const batch = batchOf(info, items, vocabDims);
    model.setInitialStates(undefined);
    total += model.forward(batch) * batch.size;
    n += batch.size;
    info.losses.forEach((l, i) => {
      // The target field, or the value the loss compares against (e.g. one_hot(y)).
      const tv = model.lossTarget(i);
      const target = l.target !== undefined ? batch.fields[l.target] : tv.data.subarray(tv.offset, tv.offset + tv.shape.reduce((x, y) => x * y, 1));
      if (!target) return;
      const pred = model.lossValue(i);
      const a = acc[i]!;
      const isTokens = target instanceof Int32Array;
      const V = pred.shape[pred.shape.length - 1] ?? 1;
      // Positions compared: one per token (cross_entropy), per row of V (probability targets), per element (the rest).
      const positions = l.op === "cross_entropy" ? (isTokens ? target.length : target.length / V) : target.length;
      const per = positions / batch.size;
      const right = new Uint8Array(positions);
      for (let p = 0; p < positions; p++) {
        if (l.op === "cross_entropy") {
          const at = pred.offset + p * V;
          const guess = argmax(pred.data, at, V);
          if (isTokens) {
            const t = target[p]!;
            right[p] = guess === t ? 1 : 0;
            let max = -Infinity;
            for (let v = 0; v < V; v++) max = Math.max(max, pred.data[at + v]!);
            let sum = 0;
            for (let v = 0; v < V; v++) sum += Math.exp(pred.data[at + v]! - max);
            a.ce += max + Math.log(sum) - pred.data[at + t]!;
          } else right[p] = guess === argmax(target, p * V, V) ? 1 : 0;
        } else {
          const y = pred.data[pred.offset + p]!;
          const guess = l.op === "bce_logits" ? y > 0 : y > 0.5;
          right[p] = guess === target[p]! > 0.5 ? 1 : 0;
        }
        a.right += right[p]!;
      }
      a.steps += positions;
      if (l.op === "cross_entropy" && isTokens) a.tokens += positions;
      for (let r = 0; r < batch.size; r++) {
        let all = 1;
        for (let p = r * per; p < (r + 1) * per; p++) all &= right[p]!;
        a.allRight += all;
      }
      a.sequences += batch.size;
    });
  }
  return {
    loss: total / Math.max(1, n),
    outputs: info.losses.map((l, i) => ({ loss: l.op, prediction: l.prediction ?? "prediction", target: l.target ?? "target", ...scoresOf(acc[i]!) })),
  };
}
