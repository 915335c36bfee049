/**
 * The training settings a spec gives: its `train {}` block (checked by the
 * train-settings rule) over the defaults. Overrides and the optimizers'
 * defaults are the runtime's (src/runtime/settings.ts).
 */
import type { Expr, ModelDecl } from "../ir/ir.js";
import { DEFAULT_LR, LR_SCHEDULES, type LrSchedule, type OptimizerSettings, type TrainSettings } from "../runtime/settings.js";

export type { OptimizerSettings, Overrides, TrainSettings } from "../runtime/settings.js";
export { withOverrides } from "../runtime/settings.js";

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

/** `lr_schedule: cosine(steps: 1000, min: 1e-5)`: its options by name (the first may be given by position). */
function scheduleOf(e: Expr): LrSchedule {
  const name = (e.op === "ref" ? e.name : e.op === "call" ? e.callee : "constant") as LrSchedule["name"];
  const keys = Object.keys(LR_SCHEDULES[name].options);
  const out: LrSchedule = { name, options: {} };
  if (e.op !== "call") return out;
  e.args.forEach((a, i) => (out.options[keys[i]!] = num(a)));
  for (const a of e.named ?? []) out.options[a.name!] = num(a.value);
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
      else if (key === "lr_schedule") s.lrSchedule = scheduleOf(value);
      else if (key in s || key === "warmup") (s as unknown as Record<string, number>)[key] = num(value);
    }
  }
  return s;
}
