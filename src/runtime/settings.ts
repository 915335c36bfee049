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
  lrSchedule?: LrSchedule;
  warmup?: number;
}

/** The settings with overrides applied; an optimizer other than the settings' starts from its own defaults. */
export function withOverrides(s: TrainSettings, o: Overrides): TrainSettings {
  const out: TrainSettings = { ...s, optimizer: { ...s.optimizer, options: { ...s.optimizer.options } } };
  if (o.optimizer !== undefined && o.optimizer !== out.optimizer.name) out.optimizer = { name: o.optimizer, lr: DEFAULT_LR[o.optimizer], options: {} };
  if (o.lr !== undefined) out.optimizer.lr = o.lr;
  for (const k of ["batch", "epochs", "clip", "weightDecay", "bptt", "seed", "validation", "patience", "warmup"] as const) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  if (o.lrSchedule !== undefined) out.lrSchedule = o.lrSchedule;
  return out;
}

export type LrSchedule = NonNullable<TrainSettings["lrSchedule"]>;
export type LrScheduleName = LrSchedule["name"];

interface ScheduleOption {
  /** The value when the option is not given; none: it must be given. */
  default?: number;
  test: (n: number) => boolean;
  want: string;
}

const WHOLE: Omit<ScheduleOption, "default"> = { test: (n) => Number.isInteger(n) && n >= 1, want: "a whole number >= 1" };
const FACTOR: Omit<ScheduleOption, "default"> = { test: (n) => n > 0 && n <= 1, want: "a number in (0, 1]" };

/**
 * The learning-rate schedules of `train { lr_schedule: ... }` and `--lr-schedule`, with their options. The rate
 * of update u (counted from 0 after the warm-up) for the optimizer's rate lr:
 *
 *   constant                        lr
 *   step(every, gamma = 0.5)        lr * gamma^floor(u / every)
 *   exponential(rate, steps = 1)    lr * rate^(u / steps)
 *   cosine(steps, min = 0)          min + (lr - min) * (1 + cos(pi * min(u, steps) / steps)) / 2
 */
export const LR_SCHEDULES: Record<LrScheduleName, { options: Record<string, ScheduleOption>; doc: string }> = {
  constant: { options: {}, doc: "the optimizer's lr throughout" },
  step: { options: { every: WHOLE, gamma: { ...FACTOR, default: 0.5 } }, doc: "lr * gamma^floor(u / every): multiplied by gamma every `every` updates" },
  exponential: { options: { rate: FACTOR, steps: { ...WHOLE, default: 1 } }, doc: "lr * rate^(u / steps): multiplied by rate every `steps` updates, smoothly" },
  cosine: { options: { steps: WHOLE, min: { test: (n) => n >= 0, want: "a number >= 0", default: 0 } }, doc: "from lr down to min along half a cosine over `steps` updates, then min" },
};

/** What is wrong with a schedule and its options (given by name; the first may be given by position), or undefined. */
export function scheduleProblem(name: string, given: readonly { key?: string; value: number | undefined }[]): string | undefined {
  const s = Object.hasOwn(LR_SCHEDULES, name) ? LR_SCHEDULES[name as LrScheduleName] : undefined;
  if (!s) return `must be one of ${Object.keys(LR_SCHEDULES).join(", ")}`;
  const keys = Object.keys(s.options);
  const seen = new Set<string>();
  for (const [i, g] of given.entries()) {
    const key = g.key ?? (i === 0 ? keys[0] : undefined);
    if (key === undefined) return `${name} takes named options: ${keys.join(", ") || "none"}`;
    const o = s.options[key];
    if (!o) return `${name} has no option ${key}${keys.length > 0 ? ` (it has ${keys.join(", ")})` : ""}`;
    if (g.value === undefined || !o.test(g.value)) return `${name}: ${key} must be ${o.want}`;
    seen.add(key);
  }
  const missing = keys.filter((k) => s.options[k]!.default === undefined && !seen.has(k));
  if (missing.length > 0) return `${name} needs ${missing.join(" and ")}`;
  return undefined;
}

/**
 * A schedule as written in a spec or on the command line: `cosine(steps: 1000, min: 1e-5)`, `step(every: 500)`,
 * `constant`. Throws an Error saying what is wrong (as the train-settings rule says it of a spec).
 */
export function parseSchedule(text: string): LrSchedule {
  const m = /^\s*([A-Za-z_]\w*)\s*(?:\((.*)\))?\s*$/s.exec(text);
  if (!m) throw new Error(`${JSON.stringify(text)} is not a schedule: write e.g. cosine(steps: 1000, min: 1e-5)`);
  const name = m[1]!;
  const given = (m[2] ?? "").split(",").filter((part) => part.trim() !== "").map((part) => {
    const kv = /^\s*(?:([A-Za-z_]\w*)\s*:)?\s*(\S+)\s*$/.exec(part);
    const value = kv && kv[2]!.trim() !== "" ? Number(kv[2]) : NaN;
    return { ...(kv?.[1] !== undefined ? { key: kv[1] } : {}), value: Number.isFinite(value) ? value : undefined };
  });
  const why = scheduleProblem(name, given);
  if (why) throw new Error(why);
  const keys = Object.keys(LR_SCHEDULES[name as LrScheduleName].options);
  return { name: name as LrScheduleName, options: Object.fromEntries(given.map((g, i) => [g.key ?? keys[i]!, g.value!])) };
}

/**
 * The learning rate of update `step` (from 0) of a run: a linear warm-up from lr / warmup to lr over the
 * first `warmup` updates, then the schedule (LR_SCHEDULES) from its start. Both trainers call it before each update.
 */
export function learningRate(s: Pick<TrainSettings, "optimizer" | "lrSchedule" | "warmup">, step: number): number {
  const lr = s.optimizer.lr;
  const warmup = s.warmup ?? 0;
  if (step < warmup) return (lr * (step + 1)) / warmup;
  const u = step - warmup;
  const schedule = s.lrSchedule ?? { name: "constant", options: {} };
  const opt = (k: string) => schedule.options[k] ?? LR_SCHEDULES[schedule.name].options[k]!.default!;
  switch (schedule.name) {
    case "constant":
      return lr;
    case "step":
      return lr * Math.pow(opt("gamma"), Math.floor(u / opt("every")));
    case "exponential":
      return lr * Math.pow(opt("rate"), u / opt("steps"));
    case "cosine": {
      const min = opt("min");
      const steps = opt("steps");
      return min + ((lr - min) * (1 + Math.cos((Math.PI * Math.min(u, steps)) / steps))) / 2;
    }
  }
}

/** A rate for a progress line: 3 significant digits. */
export const rateText = (lr: number): string => Number(lr.toPrecision(3)).toString();
