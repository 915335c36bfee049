/**
 * Training settings of a run: the optimizers, their default learning rates,
 * and command-line overrides of the spec's `train {}` block (seqc train and
 * emitted trainers take the same flags). Runtime file: imports only its siblings.
 */
import type { TrainDefaults } from "./model-api.js";

export type TrainSettings = TrainDefaults;
export type OptimizerSettings = TrainSettings["optimizer"];
export type OptimizerName = OptimizerSettings["name"];

/** Updates per `steps` record of a training log (train-log.ts): each holds the mean loss of the last LOG_WINDOW updates (windows count across epochs). */
export const LOG_WINDOW = 10;

export const OPTIMIZERS: readonly OptimizerName[] = ["sgd", "momentum", "adam", "rmsprop"];

/** Default learning rates when only the optimizer's name is given. */
export const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.1, momentum: 0.01, adam: 0.001, rmsprop: 0.001 };

/** Command-line overrides: `--lr`, `--batch`, `--epochs`, ... (undefined leaves the spec's value). */
export interface Overrides {
  optimizer?: OptimizerName;
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

/** The settings with overrides applied; an optimizer other than the settings' starts from its own defaults. */
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
