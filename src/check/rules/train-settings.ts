/** SEQ0501 / SEQ0502: `train {}` settings are known keys with values of the right kind and range. */
import { diagnostic, type Span } from "../../diagnostics/diagnostic.js";
import type { Expr } from "../../ir/ir.js";
import { LR_SCHEDULES, scheduleProblem } from "../../runtime/settings.js";
import { didYouMean } from "../scope.js";
import { blocks, type Rule } from "./rule.js";

type Check = (e: Expr) => string | undefined;

function numberOf(e: Expr): number | undefined {
  if (e.op === "num") return e.value;
  if (e.op === "neg" && e.args[0]?.op === "num") return -e.args[0].value;
  return undefined;
}

const num = (test: (n: number) => boolean, want: string): Check => (e) => {
  const n = numberOf(e);
  return n !== undefined && test(n) ? undefined : `must be ${want}`;
};
const wholeAtLeast = (min: number) => num((n) => Number.isInteger(n) && n >= min, `a whole number >= ${min}`);

/** Optimizers and the options each takes (the first may also be given by position: the learning rate). */
export const OPTIMIZERS: Record<string, { options: Record<string, (n: number) => boolean> }> = {
  sgd: { options: { lr: (n) => n > 0 } },
  momentum: { options: { lr: (n) => n > 0, beta: (n) => n >= 0 && n < 1 } },
  adam: { options: { lr: (n) => n > 0, beta1: (n) => n >= 0 && n < 1, beta2: (n) => n >= 0 && n < 1, eps: (n) => n > 0 } },
  rmsprop: { options: { lr: (n) => n > 0, rho: (n) => n >= 0 && n < 1, eps: (n) => n > 0 } },
};

const optimizer: Check = (e) => {
  const name = e.op === "ref" ? e.name : e.op === "call" ? e.callee : undefined;
  const opt = name === undefined ? undefined : OPTIMIZERS[name];
  if (!opt) return `must be one of ${Object.keys(OPTIMIZERS).map((o) => `${o}(...)`).join(", ")}`;
  if (e.op !== "call") return undefined;
  const keys = Object.keys(opt.options);
  if (e.args.length > 1 || e.generic || e.with || e.modifier) return `${name} takes named options: ${keys.join(", ")}`;
  const given = [...e.args.map((v) => ({ key: keys[0]!, v })), ...(e.named ?? []).map((a) => ({ key: a.name!, v: a.value }))];
  for (const { key, v } of given) {
    const test = opt.options[key];
    if (!test) return `${name} has no option ${key} (it has ${keys.join(", ")})`;
    const n = numberOf(v);
    if (n === undefined || !test(n)) return `${name}: ${key} is out of range`;
  }
  return undefined;
};

/** `lr_schedule: cosine(steps: 1000, min: 1e-5)`: a schedule of the runtime's table, checked as the trainers check `--lr-schedule`. */
const schedule: Check = (e) => {
  const name = e.op === "ref" ? e.name : e.op === "call" ? e.callee : undefined;
  if (name === undefined) return `must be one of ${Object.keys(LR_SCHEDULES).join(", ")}`;
  if (e.op === "call" && (e.generic || e.with || e.modifier)) return `${name} takes named options`;
  const given = e.op === "call" ? [...e.args.map((v) => ({ value: numberOf(v) })), ...(e.named ?? []).map((a) => ({ key: a.name!, value: numberOf(a.value) }))] : [];
  return scheduleProblem(name, given);
};

/** The settings a `train {}` block may hold, with their checks. */
export const TRAIN_SETTINGS: Record<string, { check: Check; doc: string }> = {
  optimizer: { check: optimizer, doc: "sgd(lr), momentum(lr, beta), adam(lr, beta1, beta2, eps), rmsprop(lr, rho, eps)" },
  batch: { check: wholeAtLeast(1), doc: "examples per step" },
  epochs: { check: wholeAtLeast(1), doc: "passes over the data" },
  clip: { check: num((n) => n > 0, "a number > 0"), doc: "clip gradients to this global norm" },
  weight_decay: { check: num((n) => n >= 0, "a number >= 0"), doc: "L2 penalty" },
  bptt: { check: wholeAtLeast(1), doc: "truncated BPTT window, in steps" },
  seed: { check: wholeAtLeast(0), doc: "random seed" },
  validation: { check: num((n) => n >= 0 && n < 1, "a fraction in [0, 1)"), doc: "fraction of the data held out" },
  patience: { check: wholeAtLeast(1), doc: "early stopping after this many epochs without improvement" },
  lr_schedule: { check: schedule, doc: "constant, step(every, gamma), exponential(rate, steps), cosine(steps, min): the learning rate over the updates" },
  warmup: { check: wholeAtLeast(0), doc: "updates over which the learning rate rises linearly to the optimizer's lr, before the schedule" },
};

export const trainSettings: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    if (node.kind !== "model") continue;
    for (const s of node.body) {
      if (s.kind !== "train") continue;
      const seen = new Set<string>();
      for (const entry of s.entries) {
        const span: Span = { file: module.file, ...entry.loc };
        const setting = TRAIN_SETTINGS[entry.key];
        if (!setting) {
          ctx.report(diagnostic("SEQ0501", `unknown training setting \`${entry.key}\``, span, {
            help: didYouMean(entry.key, Object.keys(TRAIN_SETTINGS)) ?? `settings: ${Object.keys(TRAIN_SETTINGS).join(", ")}`,
          }));
          continue;
        }
        if (seen.has(entry.key)) ctx.report(diagnostic("SEQ0501", `\`${entry.key}\` is set twice`, span));
        seen.add(entry.key);
        const why = setting.check(entry.value);
        if (why) ctx.report(diagnostic("SEQ0502", `${entry.key} ${why}`, { file: module.file, ...entry.value.loc }, { help: setting.doc }));
      }
    }
  }
};
