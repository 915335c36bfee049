/**
 * Training settings of a run: the spec's `train {}` block (checked by the
 * train-settings rule) with defaults, overridden by the command line.
 */
import type { Expr, ModelDecl } from "../ir/ir.js";

export interface OptimizerSettings {
  name: "sgd" | "momentum" | "adam" | "rmsprop";
  lr: number;
  /** Other options by name: beta (momentum), beta1, beta2, eps (adam), rho, eps (rmsprop). */
  options: Record<string, number>;
}

export interface TrainSettings {
  optimizer: OptimizerSettings;
  batch: number;
  epochs: number;
  /** Clip the gradient to this global norm (0: no clipping). */
  clip: number;
  weightDecay: number;
  /** Truncated BPTT window in steps (0: the whole sequence). */
  bptt: number;
  seed: number;
  validation: number;
  /** Stop after this many epochs without a better validation loss (0: never). */
  patience: number;
}

export const DEFAULT_LR: Record<OptimizerSettings["name"], number> = { sgd: 0.1, momentum: 0.01, adam: 0.001, rmsprop: 0.001 };

export const DEFAULTS: TrainSettings = {
  optimizer: { name: "adam", lr: DEFAULT_LR.adam, options: {} },
  batch: 32,
  epochs: 10,
  clip: 0,
  weightDecay: 0,
  bptt: 0,
  seed: 1,
  validation: 0,
  patience: 0,
};

function num(e: Expr): number {
  if (e.op === "num") return e.value;
  if (e.op === "neg" && e.args[0]?.op === "num") return -e.args[0].value;
  throw new Error(`train settings: expected a number`);
}

function optimizerOf(e: Expr): OptimizerSettings {
  const name = (e.op === "ref" ? e.name : e.op === "call" ? e.callee : "adam") as OptimizerSettings["name"];
  const out: OptimizerSettings = { name, lr: DEFAULT_LR[name], options: {} };
  if (e.op !== "call") return out;
  if (e.args[0]) out.lr = num(e.args[0]);
  for (const a of e.named ?? []) {
    if (a.name === "lr") out.lr = num(a.value);
    else out.options[a.name!] = num(a.value);
  }
  return out;
}

/** The settings of a model's `train {}` block over the defaults. */
export function specSettings(model: ModelDecl<Expr>): TrainSettings {
  const s: TrainSettings = { ...DEFAULTS, optimizer: { ...DEFAULTS.optimizer, options: {} } };
  for (const st of model.body) {
    if (st.kind !== "train") continue;
    for (const { key, value } of st.entries) {
      if (key === "optimizer") s.optimizer = optimizerOf(value);
      else if (key === "weight_decay") s.weightDecay = num(value);
      else if (key in s) (s as unknown as Record<string, number>)[key] = num(value);
    }
  }
  return s;
}

/** Command-line overrides: `--lr`, `--batch`, `--epochs`, ... (undefined leaves the spec's value). */
export interface Overrides {
  optimizer?: OptimizerSettings["name"];
  lr?: number;
  batch?: number;
  epochs?: number;
  clip?: number;
  weightDecay?: number;
  bptt?: number;
  seed?: number;
  validation?: number;
  patience?: number;
}

export function withOverrides(s: TrainSettings, o: Overrides): TrainSettings {
  const out: TrainSettings = { ...s, optimizer: { ...s.optimizer, options: { ...s.optimizer.options } } };
  if (o.optimizer !== undefined && o.optimizer !== out.optimizer.name) out.optimizer = { name: o.optimizer, lr: DEFAULT_LR[o.optimizer], options: {} };
  if (o.lr !== undefined) out.optimizer.lr = o.lr;
  for (const k of ["batch", "epochs", "clip", "weightDecay", "bptt", "seed", "validation", "patience"] as const) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
