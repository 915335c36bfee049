/**
 * Training with the tfjs target: batches of a Dataset, tf.variableGrads of the
 * model's loss, gradient clipping by global norm, L2 weight decay, and the
 * optimizers of tf.train. Seeded: the same seed gives the same run.
 *
 * Truncated BPTT (`bptt > 0`): each batch is cut along its length axis into
 * windows of `bptt` steps, processed in order, one update per window; the final
 * states of the model's scans after a window are the next window's initial
 * states, as plain tensors, so the gradient stops at the window's edge. Row i of
 * a batch is one sequence throughout (the "stateful" layout: a long text is cut
 * into `batch` streams, see `seqc train`).
 *
 * The trainer's whole state (position in the run, generator, optimizer slots,
 * carried states) can be saved and restored, so a resumed run repeats the
 * losses of an uninterrupted one.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { DataField, Dataset } from "./dataset.js";
import { dropoutSeed, Rng } from "../../runtime/init.js";
import { learningRate } from "../../runtime/settings.js";
import type { TrainSettings } from "../settings.js";
import type { Tf } from "./engine.js";
import type { DimValues } from "../../graph/dims.js";
import type { ScanStates, TfModel } from "./exec.js";

type Tensor = tfTypes.Tensor;

/** A batch as tensors with a leading batch axis, and the free dims it binds. */
export function batchTensors(tf: Tf, batch: Dataset): { inputs: Record<string, Tensor>; free: DimValues; lengths: Record<string, Int32Array> } {
  const inputs: Record<string, Tensor> = {};
  for (const [name, f] of Object.entries(batch.fields)) {
    inputs[name] = tensorOf(tf, f.data, [batch.examples, ...f.shape], f.dtype);
  }
  return { inputs, free: { ...batch.dims }, lengths: batch.steps };
}

/** A tensor of a field's values: token ids kept in one or two bytes become int32 (tf.tensor takes no Uint16Array). */
function tensorOf(tf: Tf, data: DataField["data"], shape: number[], dtype: DataField["dtype"]): Tensor {
  return tf.tensor(data instanceof Uint16Array ? Int32Array.from(data) : data, shape, dtype);
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

/** Sets a tf.train optimizer's learning rate for its next update (sgd and momentum keep it as a tensor). */
function setRate(opt: tfTypes.Optimizer, lr: number): void {
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (o.setLearningRate) o.setLearningRate(lr);
  else o.learningRate = lr;
}

/** Where a run is: what a checkpoint needs besides the weights and the optimizer's slots. JSON-safe. */
export interface TrainerProgress {
  /** Completed epochs. */
  epoch: number;
  /** Batches done in the current epoch. */
  batch: number;
  /** Windows done in the current batch (truncated BPTT). */
  window: number;
  /** The generator's state at the start of the current epoch (it shuffles that epoch). */
  rng: number;
  /** The current epoch's running sums: loss times rows, rows, tokens. */
  lossSum: number;
  rows: number;
  tokens: number;
  /** Early stopping: best validation loss so far (null: none yet) and epochs since. */
  best: number | null;
  sinceBest: number;
  /** Updates since the run began (the learning-rate schedule's clock); absent in checkpoints older than schedules. */
  updates?: number;
}

/** The trainer's state for a checkpoint: progress and the optimizer's iteration count as JSON, slots and carried states as named arrays. */
export interface TrainerState {
  progress: TrainerProgress;
  optimizer: { name: string; iterations: number };
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

/** The inputs of one forward pass. */
interface Feed {
  inputs: Record<string, Tensor>;
  free: DimValues;
  lengths: Record<string, ArrayLike<number>>;
  rows: number;
  tokens: number;
}

/**
 * The length dim along which truncated BPTT cuts a data set's batches: its one
 * free length dim, when every input and target has it as its first axis;
 * undefined when the data cannot be cut (e.g. a per-sequence target).
 */
export function windowAxis(data: Dataset): string | undefined {
  const atoms = Object.keys(data.steps);
  if (atoms.length !== 1) return undefined;
  const atom = atoms[0]!;
  for (const f of Object.values(data.fields)) if (f.lengthAxis !== 0 || f.shape[0] !== data.dims[atom]) return undefined;
  return atom;
}

const SLOT = "slot/";
const CARRIED = "carried/";

export interface StepInfo {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  /** Examples times steps of the first free length dim (tokens for sequence models). */
  tokens: number;
  /** The learning rate of this update. */
  lr: number;
}

export interface EpochReport {
  epoch: number;
  /** The mean over the epoch's updates of the batch loss, weighted by the batch's rows. */
  loss: number;
  validationLoss?: number;
  seconds: number;
  tokensPerSecond: number;
  /** The learning rate of the epoch's last update. */
  lr: number;
}

export class NonFiniteLossError extends Error {}

export class Trainer {
  private readonly opt: tfTypes.Optimizer;
  private readonly rng: Rng;
  private progress: TrainerProgress;
  /** Final states of the last window, carried into the next one (truncated BPTT, within a batch). */
  private carried: ScanStates | undefined;

  constructor(
    readonly model: TfModel,
    readonly settings: TrainSettings,
  ) {
    this.opt = optimizer(model.engine.tf, settings);
    this.rng = new Rng(settings.seed);
    this.progress = { epoch: 0, batch: 0, window: 0, rng: this.rng.getState(), lossSum: 0, rows: 0, tokens: 0, best: null, sinceBest: 0, updates: 0 };
  }

  /** The learning rate of the next update (the settings' schedule at the run's update count). */
  get rate(): number {
    return learningRate(this.settings, this.progress.updates ?? 0);
  }

  /** Completed epochs. */
  get epoch(): number {
    return this.progress.epoch;
  }

  /** Whether the run stopped inside an epoch (after an interruption). */
  get midEpoch(): boolean {
    return this.progress.batch > 0 || this.progress.window > 0;
  }

  private get tf(): Tf {
    return this.model.engine.tf;
  }

  /** The scans whose states carry across windows: the model-level ones that run forwards. */
  private carriedScans(): Set<string> {
    return new Set(this.model.graph.nodes.flatMap((n) => (n.kind === "scan" && !n.scan.reverse ? [n.scan.name] : [])));
  }

  /**
   * One optimisation step: the loss before the update, and (kept, for the next
   * window) the final states of the scans.
   */
  private update(feed: Feed, initial: ScanStates | undefined): { loss: number; states: ScanStates } {
    // Running statistics (batch_normalize's) are not trained: no gradient, optimizer or weight decay.
    const vars = [...this.model.params.values()].filter((v) => v.trainable);
    const carry = this.carriedScans();
    let states: ScanStates = {};
    // Training mode for this update only: dropout masks of its own from the run's seed, batch statistics.
    this.model.training = dropoutSeed(this.settings.seed, this.progress.updates ?? 0);
    let loss: number;
    try {
      loss = this.step(feed, initial, vars, carry, (s) => (states = s));
      if (Number.isFinite(loss)) this.model.updateStatistics();
    } finally {
      this.model.training = undefined;
    }
    if (!Number.isFinite(loss)) {
      disposeStates(states);
      throw new NonFiniteLossError(`the loss became ${loss} in epoch ${this.progress.epoch + 1}`);
    }
    return { loss, states };
  }

  /** The loss of one batch and, when it is finite, the update of the weights from its gradient. */
  private step(feed: Feed, initial: ScanStates | undefined, vars: tfTypes.Variable[], carry: Set<string>, keep: (states: ScanStates) => void): number {
    const tf = this.tf;
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const r = this.model.forward(feed.inputs, feed.free, feed.lengths, initial ?? {});
        keep(keepStates(tf, r.states, carry));
        return r.loss;
      }, vars);
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
      setRate(this.opt, this.rate);
      this.opt.applyGradients(named);
      return lossValue;
    });
  }

  /** A whole batch as one feed. */
  private feed(batch: Dataset): Feed {
    const { inputs, free, lengths } = batchTensors(this.tf, batch);
    return { inputs, free, lengths, rows: batch.examples, tokens: batchTokens(batch) };
  }

  /** How many windows a batch is cut into (1 without truncated BPTT or when the data cannot be cut). */
  windowCount(batch: Dataset): number {
    const axis = this.settings.bptt > 0 ? windowAxis(batch) : undefined;
    if (axis === undefined) return 1;
    const longest = Math.max(0, ...batch.steps[axis]!);
    return Math.max(1, Math.ceil(longest / this.settings.bptt));
  }

  /**
   * Window k of a batch: steps [k * bptt, (k + 1) * bptt) of every field, with
   * the lengths inside the window. Without windows, the whole batch (`full`,
   * made once). A window's tensors are copied from the examples (Dataset.window), so a
   * batch of streams millions of steps long is never one tensor.
   */
  private windowFeed(batch: Dataset, full: () => Feed, k: number): Feed {
    const axis = this.settings.bptt > 0 ? windowAxis(batch) : undefined;
    if (axis === undefined) return full();
    const steps = batch.steps[axis]!;
    const longest = Math.max(0, ...steps);
    const t0 = k * this.settings.bptt;
    const w = Math.min(this.settings.bptt, longest - t0);
    const tf = this.tf;
    const inputs: Record<string, Tensor> = {};
    // Time is each field's first axis (windowAxis): the window is copied from the examples (Dataset.window).
    for (const [name, f] of Object.entries(batch.fields)) inputs[name] = tensorOf(tf, batch.window(name, t0, w), [batch.examples, w, ...f.shape.slice(1)], f.dtype);
    const lens = Int32Array.from(steps, (l) => Math.max(0, Math.min(w, l - t0)));
    let tokens = 0;
    for (const l of lens) tokens += l;
    return { inputs, free: { ...batch.dims, [axis]: w }, lengths: { ...batch.steps, [axis]: lens }, rows: batch.examples, tokens };
  }

  /** Mean loss over a data set (no update), weighted as the training loss is (windows carry state as in training). */
  evaluate(data: Dataset): number {
    const tf = this.tf;
    let total = 0;
    let rows = 0;
    const carry = this.carriedScans();
    for (const batch of data.batches(this.settings.batch, 0, false)) {
      let whole: Feed | undefined;
      const full = () => (whole ??= this.feed(batch));
      const n = this.windowCount(batch);
      let states: ScanStates | undefined;
      for (let k = 0; k < n; k++) {
        const feed = this.windowFeed(batch, full, k);
        const previous = states;
        total += tf.tidy(() => {
          const r = this.model.forward(feed.inputs, feed.free, feed.lengths, previous ?? {});
          states = keepStates(tf, r.states, carry);
          return r.loss.dataSync()[0]!;
        }) * feed.rows;
        rows += feed.rows;
        if (previous) disposeStates(previous);
        if (feed !== whole) for (const t of Object.values(feed.inputs)) t.dispose();
      }
      if (states) disposeStates(states);
      if (whole) for (const t of Object.values(whole.inputs)) t.dispose();
    }
    return total / Math.max(1, rows);
  }

  /** Updates per epoch on a data set. */
  stepsPerEpoch(train: Dataset): number {
    let n = 0;
    if (this.settings.bptt > 0 && windowAxis(train) !== undefined) {
      for (const batch of train.batches(this.settings.batch, 0, false)) n += this.windowCount(batch);
      return n;
    }
    return train.batchCount(this.settings.batch);
  }

  /**
   * Trains for the settings' epochs (from the current position, so a resumed
   * run continues where it stopped, inside an epoch too), reporting steps and
   * epochs; stops early when the validation loss has not improved for
   * `patience` epochs, or when `shouldStop` says so (checked after every update).
   */
  async fit(
    train: Dataset,
    opts: { validation?: Dataset; onStep?: (s: StepInfo) => void; onEpoch?: (r: EpochReport) => void | Promise<void>; shouldStop?: () => boolean } = {},
  ): Promise<EpochReport[]> {
    const reports: EpochReport[] = [];
    const steps = this.stepsPerEpoch(train);
    const p = this.progress;
    while (p.epoch < this.settings.epochs) {
      const started = performance.now();
      const tokensBefore = p.tokens;
      // The epoch's order comes from the generator as it was when the epoch began (replayed when resuming inside it).
      if (this.midEpoch) this.rng.setState(p.rng);
      else p.rng = this.rng.getState();
      let b = 0;
      let step = 0;
      for (const batch of train.batches(this.settings.batch, this.rng, true)) {
        const windows = this.windowCount(batch);
        if (b < p.batch) {
          b++;
          step += windows;
          continue;
        }
        let whole: Feed | undefined;
        const full = () => (whole ??= this.feed(batch));
        step += p.window;
        try {
          while (p.window < windows) {
            const feed = this.windowFeed(batch, full, p.window);
            try {
              const lr = this.rate;
              const { loss, states } = this.update(feed, this.carried);
              p.updates = (p.updates ?? 0) + 1;
              this.setCarried(windows > 1 ? states : undefined, states);
              p.lossSum += loss * feed.rows;
              p.rows += feed.rows;
              p.tokens += feed.tokens;
              p.window++;
              step++;
              opts.onStep?.({ epoch: p.epoch + 1, step, steps, loss, tokens: p.tokens, lr });
            } finally {
              if (feed !== whole) for (const t of Object.values(feed.inputs)) t.dispose();
            }
            await this.breathe();
            if (opts.shouldStop?.() && p.window < windows) return reports;
          }
        } finally {
          if (whole) for (const t of Object.values(whole.inputs)) t.dispose();
        }
        this.setCarried(undefined);
        p.window = 0;
        p.batch++;
        b++;
        if (opts.shouldStop?.() && b < train.batchCount(this.settings.batch)) return reports;
      }
      const seconds = (performance.now() - started) / 1000;
      const report: EpochReport = { epoch: p.epoch + 1, loss: p.lossSum / Math.max(1, p.rows), seconds, tokensPerSecond: (p.tokens - tokensBefore) / Math.max(seconds, 1e-9), lr: learningRate(this.settings, Math.max(0, (p.updates ?? 0) - 1)) };
      Object.assign(p, { epoch: p.epoch + 1, batch: 0, window: 0, lossSum: 0, rows: 0, tokens: 0 });
      if (opts.validation && opts.validation.examples > 0) report.validationLoss = this.evaluate(opts.validation);
      let patienceOut = false;
      if (report.validationLoss !== undefined && this.settings.patience > 0) {
        if (p.best === null || report.validationLoss < p.best) {
          p.best = report.validationLoss;
          p.sinceBest = 0;
        } else if (++p.sinceBest >= this.settings.patience) patienceOut = true;
      }
      reports.push(report);
      await opts.onEpoch?.(report);
      if (opts.shouldStop?.() || patienceOut) break;
    }
    return reports;
  }

  private lastBreath = performance.now();

  /** Lets the event loop run now and then (every 50 ms of training), so that signals such as Ctrl-C reach their handlers. */
  private async breathe(): Promise<void> {
    if (performance.now() - this.lastBreath < 50) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastBreath = performance.now();
  }

  /** Replaces the carried states (disposing the old ones unless they are kept); `dispose` also frees states not kept. */
  private setCarried(next: ScanStates | undefined, produced?: ScanStates): void {
    const keep = new Set(Object.values(next ?? {}).flatMap((s) => Object.values(s)));
    for (const old of [this.carried, produced]) {
      if (!old || old === next) continue;
      for (const s of Object.values(old)) for (const t of Object.values(s)) if (!keep.has(t)) t.dispose();
    }
    this.carried = next;
  }

  /** The trainer's state for a checkpoint (optimizer slots are read from the optimizer, so this is async). */
  async getState(): Promise<TrainerState> {
    const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
    const weights = await this.opt.getWeights();
    let iterations = 0;
    // Slots are named after tfjs's process-wide variable names; store them by position and our parameter names.
    const varNames = new Map([...this.model.params].map(([ours, v]) => [v.name, ours]));
    weights.forEach((w, i) => {
      if (i === 0 && w.name === "iter") {
        iterations = w.tensor.dataSync()[0]!;
        w.tensor.dispose();
        return;
      }
      const [owner, ...rest] = w.name.split("/");
      const label = `${SLOT}${String(i).padStart(4, "0")}/${varNames.get(owner!) ?? owner}/${rest.join("/")}`;
      tensors.set(label, { shape: w.tensor.shape, values: Float32Array.from(w.tensor.dataSync()) });
    });
    // Adam's running powers of beta: stored as they are, so that a resumed run is exact (setWeights would recompute them with pow).
    const adam = this.opt as unknown as { accBeta1?: tfTypes.Variable; accBeta2?: tfTypes.Variable };
    for (const key of ["accBeta1", "accBeta2"] as const) {
      const v = adam[key];
      if (v) tensors.set(`adam/${key}`, { shape: [], values: Float32Array.from(v.dataSync()) });
    }
    for (const [scan, states] of Object.entries(this.carried ?? {})) {
      for (const [name, t] of Object.entries(states)) tensors.set(`${CARRIED}${scan}/${name}`, { shape: t.shape, values: Float32Array.from(t.dataSync()) });
    }
    return { progress: { ...this.progress, rng: this.midEpoch ? this.progress.rng : this.rng.getState() }, optimizer: { name: this.settings.optimizer.name, iterations }, tensors };
  }

  /** Restores a state from getState() (of a trainer of the same model and optimizer). */
  async setState(state: TrainerState): Promise<void> {
    const tf = this.tf;
    if (state.optimizer.name !== this.settings.optimizer.name) throw new Error(`the checkpoint's optimizer is ${state.optimizer.name}, not ${this.settings.optimizer.name}`);
    const slots = [...state.tensors].filter(([k]) => k.startsWith(SLOT)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const named: { name: string; tensor: Tensor }[] = [{ name: "iter", tensor: tf.scalar(state.optimizer.iterations, "int32") }];
    for (const [label, w] of slots) {
      const [, , param, ...rest] = label.split("/");
      const v = this.model.params.get(param!);
      if (!v) throw new Error(`the checkpoint's optimizer has a slot for ${param}, which the model does not have`);
      named.push({ name: `${v.name}/${rest.join("/")}`, tensor: tf.tensor(w.values, w.shape) });
    }
    await this.opt.setWeights(named);
    for (const n of named) n.tensor.dispose();
    const adam = this.opt as unknown as { accBeta1?: tfTypes.Variable; accBeta2?: tfTypes.Variable };
    for (const key of ["accBeta1", "accBeta2"] as const) {
      const saved = state.tensors.get(`adam/${key}`);
      if (saved && adam[key]) adam[key].assign(tf.scalar(saved.values[0]!));
    }
    const carried: ScanStates = {};
    for (const [label, w] of state.tensors) {
      if (!label.startsWith(CARRIED)) continue;
      const rest = label.slice(CARRIED.length);
      const cut = rest.lastIndexOf("/");
      (carried[rest.slice(0, cut)] ??= {})[rest.slice(cut + 1)] = tf.tensor(w.values, w.shape);
    }
    this.setCarried(Object.keys(carried).length > 0 ? carried : undefined);
    this.progress = { ...state.progress };
    this.rng.setState(state.progress.rng);
  }

  /** Frees the optimizer's slots and any carried states. */
  dispose(): void {
    this.setCarried(undefined);
    this.opt.dispose();
  }
}

/** The states of the carried scans, kept out of the enclosing tidy scopes. */
function keepStates(tf: Tf, states: ScanStates, carry: Set<string>): ScanStates {
  const out: ScanStates = {};
  for (const [scan, s] of Object.entries(states)) {
    if (!carry.has(scan)) continue;
    out[scan] = Object.fromEntries(Object.entries(s).map(([k, t]) => [k, tf.keep(t)]));
  }
  return out;
}

function disposeStates(states: ScanStates): void {
  for (const s of Object.values(states)) for (const t of Object.values(s)) t.dispose();
}

/** Examples times the padded length of the first sequence field. */
function batchTokens(batch: Dataset): number {
  const seq = Object.values(batch.fields).find((f) => f.lengths);
  if (!seq?.lengths) return batch.examples;
  let n = 0;
  for (const l of seq.lengths) n += l;
  return n;
}
