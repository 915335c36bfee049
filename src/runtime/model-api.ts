/**
 * The contract between an emitted `model.ts` and the fixed runtime files that
 * `seqc compile --target ts` copies next to it (kernels, optimizers, trainer).
 * This file is itself copied into the output: it must use no Node built-ins
 * and import nothing.
 */

/** A float buffer: Float32Array by default, Float64Array with `--precision f64`. */
export type Buf = Float32Array | Float64Array;

/** The matrix product model.ts calls (gemm.ts documents the contract; gemm-js.ts and gemm-simd.ts implement it). */
export type Gemm = (
  m: number,
  n: number,
  k: number,
  a: Buf,
  aOff: number,
  lda: number,
  transA: boolean,
  b: Buf,
  bOff: number,
  ldb: number,
  transB: boolean,
  c: Buf,
  cOff: number,
  ldc: number,
  accumulate: boolean,
  /** B as gemm.ts's packB packed it here, when it returned true for this B: the SIMD product reads it there instead of packing B again; the others ignore it. */
  packedB?: Buf,
) => void;

/** Values of dim atoms by name (fixed dims of the spec, and free ones: lengths, data vocabularies). */
export type Dims = Record<string, number>;

/** A symbolic dim: sum of coefficient * product of atoms (in units of each atom's multiple), e.g. [["H", 4]] is 4*H. */
export type DimTerms = [monomial: string, coefficient: number][];

/** One input or target of the model, as the data must give it. */
export interface FieldInfo {
  name: string;
  role: "input" | "target";
  /** int32 token ids (a field `of` a vocabulary) or floats. */
  dtype: "int32" | "float32";
  /** Shape of one example, without the batch axis: numbers or dim atom names (e.g. ["T", 1]). */
  shape: (number | string)[];
  vocab?: string;
}

export interface VocabInfo {
  name: string;
  /** The dim atom that is the vocabulary's size (e.g. "V"), when it has one. */
  sizeDim?: string;
  /** The spec's tokens, or absent when the vocabulary is built from the data. */
  tokens?: string[];
}

export interface ParamInfo {
  name: string;
  /** Symbolic shape (evaluate with the model's dims). */
  shape: DimTerms[];
  /** The spec's initialiser: glorot, orthogonal, zeros, ones, uniform(value), normal(value), const (value). */
  init: { kind: "zeros" | "ones" | "glorot" | "orthogonal" | "uniform" | "normal" | "const"; value?: number };
  /**
   * false for a running statistic of batch_normalize: saved with the weights and updated by the forward pass
   * while training, but not trained (its gradient stays 0; no weight decay).
   */
  trainable?: false;
}

export interface LossInfo {
  op: "mse" | "cross_entropy" | "bce" | "bce_logits";
  /** The target field the loss compares against, when its second argument is one. */
  target?: string;
  /** The spec's name of the value the loss scores (e.g. "logits"), when it has one. */
  prediction?: string;
}

export interface TrainDefaults {
  optimizer: { name: "sgd" | "momentum" | "adam" | "rmsprop"; lr: number; options: Record<string, number> };
  batch: number;
  epochs: number;
  clip: number;
  weightDecay: number;
  bptt: number;
  seed: number;
  validation: number;
  patience: number;
  /** How the learning rate changes with the updates (settings.ts, learningRate); absent: constant. */
  lrSchedule?: { name: "constant" | "step" | "exponential" | "cosine"; options: Record<string, number> };
  /** Updates over which the rate rises linearly to the optimizer's lr before the schedule starts; absent: 0. */
  warmup?: number;
}

export interface ModelInfo {
  name: string;
  /** The spec's file name and full text (saved in model.json, as the tfjs target does). */
  spec: { file: string; source: string };
  /** Every dim atom: `value` when the spec fixes it; `multiple` is its known divisor. */
  dims: { name: string; multiple: number; value?: number }[];
  /** Free dims that are sequence lengths (vary per example). */
  lengthDims: string[];
  vocabs: VocabInfo[];
  fields: FieldInfo[];
  params: ParamInfo[];
  losses: LossInfo[];
  /** The names of the model's scans whose states BPTT carries, with their state names. */
  scans: { name: string; states: string[] }[];
  settings: TrainDefaults;
  feedback?: { input: string; source: string; until?: string };
  precision: "f32" | "f64";
}

/** A batch: `size` examples, every field row-major [size, ...shape] with this batch's dims (no padding: all examples of a batch have the same lengths). */
export interface Batch {
  size: number;
  /** Values of the free dims for this batch (e.g. T); fixed dims need not be given. */
  dims: Dims;
  fields: Record<string, Buf | Int32Array>;
}

/** A tensor inside the model's buffers after a forward pass: row-major, batch axis first when batched. */
export interface ValueView {
  /** Floats, or token ids (Int32Array) for token inputs and targets. */
  data: Buf | Int32Array;
  offset: number;
  shape: number[];
}

export interface CompiledModel {
  readonly info: ModelInfo;
  /** Every parameter, concatenated in `info.params` order, row-major. */
  readonly params: Buf;
  /** The gradient of the loss, laid out like `params` (filled by backward). */
  readonly grads: Buf;
  /**
   * Two buffers laid out like `params`, in their memory, for the optimizer's slots (optim.ts createOptimizer's
   * `memory`: its SIMD update works on them in place). One optimizer of the model at a time uses them.
   */
  readonly optimizerMemory?: readonly Buf[];
  /** Offset and size of each parameter in `params`, by name. */
  readonly layout: Record<string, { offset: number; size: number; shape: number[] }>;
  /** Initialises the parameters with the spec's initialisers, from a seed. */
  init(seed: number): void;
  /** Runs the model on a batch: returns the loss (per-example losses summed, averaged over the batch). */
  forward(batch: Batch): number;
  /** After forward: sets `grads` to the gradient of that loss. */
  backward(): void;
  /** After forward: a named model value (input, target or binding). */
  value(name: string): ValueView;
  /**
   * After forward: the prediction of loss i (`info.losses[i]`), i.e. the loss's
   * first argument (logits for cross_entropy and bce_logits, probabilities for
   * bce, the output for mse), batched: [size, ...shape]. Eval's accuracy reads it.
   */
  lossValue(i: number): ValueView;
  /** After forward: the target of loss i (its second argument: a target field or an expression such as one_hot(y)), batched [size, ...shape]. */
  lossTarget(i: number): ValueView;
  /** After forward: the final value of each state of the model's scans, by "scan.state". */
  finalStates(): Record<string, ValueView>;
  /**
   * Models whose training differs from inference (dropout, batch_normalize): a seed makes every later forward
   * pass run as training does, drawing its dropout masks from it (the same masks each time; init.ts drawMask)
   * and normalising with batch statistics, which it also folds into the running ones (momentum); undefined, the
   * start, runs for inference (eval, sample). The trainer sets one per update (init.ts dropoutSeed).
   */
  setTraining?(seed: number | undefined): void;
  /** Initial states for the next forward passes (truncated BPTT carries them; the gradient stops there), or undefined for the spec's. */
  setInitialStates(states: Record<string, Buf> | undefined): void;
}
