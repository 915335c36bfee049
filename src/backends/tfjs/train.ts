/**
 * Training with the tfjs target: batches of a Dataset, tf.variableGrads of the
 * model's loss, gradient clipping by global norm, L2 weight decay, and the
 * optimizers of tf.train. Seeded: the same seed gives the same run.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.js";
import { Rng } from "../init.js";
import type { TrainSettings } from "../settings.js";
import type { Tf } from "./engine.js";
import type { DimValues, TfModel } from "./exec.js";

type Tensor = tfTypes.Tensor;

/** A batch as tensors with a leading batch axis, and the free dims it binds. */
export function batchTensors(tf: Tf, batch: Dataset): { inputs: Record<string, Tensor>; free: DimValues; lengths: Record<string, Int32Array> } {
  const inputs: Record<string, Tensor> = {};
  for (const [name, f] of Object.entries(batch.fields)) {
    inputs[name] = tf.tensor(f.data, [batch.examples, ...f.shape], f.dtype);
  }
  return { inputs, free: { ...batch.dims }, lengths: batch.steps };
}

function optimizer(tf: Tf, s: TrainSettings): tfTypes.Optimizer {
  const o = s.optimizer;
  switch (o.name) {
    case "sgd":
      return tf.train.sgd(o.lr);
    case "momentum":
      return tf.train.momentum(o.lr, o.options["beta"] ?? 0.9);
    case "adam":
      return tf.train.adam(o.lr, o.options["beta1"] ?? 0.9, o.options["beta2"] ?? 0.999, o.options["eps"] ?? 1e-7);
    case "rmsprop":
      return tf.train.rmsprop(o.lr, o.options["rho"] ?? 0.9, 0, o.options["eps"] ?? 1e-7);
  }
}

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  /** Examples times steps of the first free length dim (tokens for sequence models). */
  tokens: number;
}

export interface EpochReport {
  epoch: number;
  loss: number;
  validationLoss?: number;
  seconds: number;
  tokensPerSecond: number;
}

export class NonFiniteLossError extends Error {}

export class Trainer {
  private readonly opt: tfTypes.Optimizer;
  private readonly rng: Rng;
  epoch = 0;

  constructor(
    readonly model: TfModel,
    readonly settings: TrainSettings,
  ) {
    this.opt = optimizer(model.engine.tf, settings);
    this.rng = new Rng(settings.seed);
  }

  private get tf(): Tf {
    return this.model.engine.tf;
  }

  /** One optimisation step on a batch; returns the loss before the update. */
  step(batch: Dataset): number {
    const tf = this.tf;
    const { inputs, free, lengths } = batchTensors(tf, batch);
    const vars = [...this.model.params.values()];
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.model.forward(inputs, free, lengths).loss, vars);
      let named: Record<string, Tensor> = grads;
      if (this.settings.weightDecay > 0) {
        named = Object.fromEntries(vars.map((v) => [v.name, tf.add(grads[v.name]!, tf.mul(this.settings.weightDecay, v))]));
      }
      if (this.settings.clip > 0) {
        const norm = tf.sqrt(tf.addN(Object.values(named).map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(1, tf.div(this.settings.clip, tf.add(norm, 1e-12)));
        named = Object.fromEntries(Object.entries(named).map(([k, g]) => [k, tf.mul(g, scale)]));
      }
      const lossValue = value.dataSync()[0]!;
      if (!Number.isFinite(lossValue)) return lossValue;
      this.opt.applyGradients(named);
      return lossValue;
    });
    for (const t of Object.values(inputs)) t.dispose();
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(`the loss became ${loss} in epoch ${this.epoch + 1}`);
    return loss;
  }

  /** Mean loss over a data set (no update). */
  evaluate(data: Dataset): number {
    const tf = this.tf;
    let total = 0;
    for (const batch of data.batches(this.settings.batch, 0, false)) {
      const { inputs, free, lengths } = batchTensors(tf, batch);
      total += tf.tidy(() => this.model.forward(inputs, free, lengths).loss.dataSync()[0]!) * batch.examples;
      for (const t of Object.values(inputs)) t.dispose();
    }
    return total / Math.max(1, data.examples);
  }

  /**
   * Trains for the settings' epochs (from the current one, so a resumed run
   * continues), reporting steps and epochs; stops early when the validation
   * loss has not improved for `patience` epochs, or when `shouldStop` says so.
   */
  fit(
    train: Dataset,
    opts: { validation?: Dataset; onStep?: (s: StepInfo) => void; onEpoch?: (r: EpochReport) => void; shouldStop?: () => boolean } = {},
  ): EpochReport[] {
    const reports: EpochReport[] = [];
    let best = Number.POSITIVE_INFINITY;
    let sinceBest = 0;
    const steps = train.batchCount(this.settings.batch);
    while (this.epoch < this.settings.epochs) {
      const started = performance.now();
      let sum = 0;
      let tokens = 0;
      let step = 0;
      for (const batch of train.batches(this.settings.batch, this.rng, true)) {
        const loss = this.step(batch);
        sum += loss * batch.examples;
        tokens += batchTokens(batch);
        step++;
        opts.onStep?.({ epoch: this.epoch + 1, step, steps, loss, tokens });
        if (opts.shouldStop?.()) break;
      }
      this.epoch++;
      const seconds = (performance.now() - started) / 1000;
      const report: EpochReport = { epoch: this.epoch, loss: sum / Math.max(1, train.examples), seconds, tokensPerSecond: tokens / Math.max(seconds, 1e-9) };
      if (opts.validation && opts.validation.examples > 0) report.validationLoss = this.evaluate(opts.validation);
      reports.push(report);
      opts.onEpoch?.(report);
      if (opts.shouldStop?.()) break;
      if (report.validationLoss !== undefined && this.settings.patience > 0) {
        if (report.validationLoss < best) {
          best = report.validationLoss;
          sinceBest = 0;
        } else if (++sinceBest >= this.settings.patience) break;
      }
    }
    return reports;
  }
}

/** Examples times the padded length of the first sequence field. */
function batchTokens(batch: Dataset): number {
  const seq = Object.values(batch.fields).find((f) => f.lengths);
  if (!seq?.lengths) return batch.examples;
  let n = 0;
  for (const l of seq.lengths) n += l;
  return n;
}
