/**
 * The emitted trainer's command-line options, parsed by hand: `--name value`,
 * `--name=value`, flags and short aliases; and the flags of a training run
 * with their rules, which `seqc train` reads with them too (trainFlags), so a
 * bad value gets one message from both. Runtime file: imports only its siblings.
 */
import { UsageError } from "./errors.js";
import { OPTIMIZERS, parseSchedule, type LrSchedule, type OptimizerName, type Overrides } from "./settings.js";

export type OptKind = "string" | "int" | "number" | "flag";

export interface ParsedArgs {
  values: Map<string, string | number | boolean>;
}

/** Hand-parsed options: `--name value`, `--name=value`, flags; aliases map short names. */
export function parseArgs(argv: readonly string[], spec: Record<string, OptKind>, aliases: Record<string, string> = {}): ParsedArgs {
  const values = new Map<string, string | number | boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-") || arg === "-") throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    let name = arg.replace(/^--?/, "");
    let inline: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = aliases[name] ?? name;
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option ${arg.replace(/=.*$/, "")}`);
    if (kind === "flag") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    values.set(name, valueOf(name, kind, raw));
  }
  return { values };
}

/** An option's value from its text: a string as given, a number (a whole one for "int") or a usage error naming the option. */
function valueOf(name: string, kind: Exclude<OptKind, "flag">, raw: string): string | number {
  if (kind === "string") return raw;
  const n = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number, not ${JSON.stringify(raw)}`);
  if (kind === "int" && !Number.isInteger(n)) throw new UsageError(`--${name} needs a whole number, not ${raw}`);
  return n;
}

/**
 * Options another parser has read (yargs: each a string, an array when
 * repeated, of which the last counts, as parseArgs keeps the last), parsed by
 * `spec`'s kinds as parseArgs parses them. Names not in `spec` are ignored.
 */
export function parsedOf(given: Readonly<Record<string, unknown>>, spec: Record<string, OptKind>): ParsedArgs {
  const values = new Map<string, string | number | boolean>();
  for (const [name, kind] of Object.entries(spec)) {
    let v = given[name];
    if (Array.isArray(v)) v = v[v.length - 1];
    if (v === undefined) continue;
    values.set(name, kind === "flag" ? v === true : valueOf(name, kind, String(v)));
  }
  return { values };
}

/**
 * The flags of a training run that `seqc train` and an emitted trainer share,
 * by kind (trainFlags checks their values). --max-memory's range is
 * memory.ts's maxMemoryOf, which both call.
 */
export const TRAIN_FLAGS = {
  epochs: "int",
  batch: "int",
  optimizer: "string",
  lr: "number",
  "lr-schedule": "string",
  warmup: "int",
  seed: "int",
  clip: "number",
  "weight-decay": "number",
  bptt: "int",
  validation: "number",
  patience: "int",
  "max-memory": "number",
} as const satisfies Record<string, OptKind>;

/**
 * The settings a run's flags override (TRAIN_FLAGS, read by parseArgs or
 * parsedOf), each checked: a value out of range, an unknown optimizer or a
 * malformed schedule is a usage error naming the flag. Both trainers call it.
 */
export function trainFlags(a: ParsedArgs): { overrides: Overrides; maxMemory?: number } {
  const name = str(a, "optimizer");
  if (name !== undefined && !OPTIMIZERS.includes(name as OptimizerName)) throw new UsageError(`--optimizer ${name}: use ${OPTIMIZERS.join(", ")}`);
  const schedule = str(a, "lr-schedule");
  let lrSchedule: LrSchedule | undefined;
  try {
    if (schedule !== undefined) lrSchedule = parseSchedule(schedule);
  } catch (e) {
    throw new UsageError(`--lr-schedule ${schedule}: ${(e as Error).message}`);
  }
  const given: Overrides = {
    ...(lrSchedule ? { lrSchedule } : {}),
    warmup: num(a, "warmup", (n) => n >= 0, "a whole number >= 0"),
    ...(name !== undefined ? { optimizer: name as OptimizerName } : {}),
    lr: num(a, "lr", (n) => n > 0, "a number > 0"),
    epochs: num(a, "epochs", (n) => n >= 0, "a whole number >= 0"),
    batch: num(a, "batch", (n) => n >= 1, "a whole number >= 1"),
    seed: num(a, "seed"),
    clip: num(a, "clip", (n) => n >= 0, "a number >= 0"),
    weightDecay: num(a, "weight-decay", (n) => n >= 0, "a number >= 0"),
    bptt: num(a, "bptt", (n) => n >= 0, "a whole number >= 0"),
    validation: num(a, "validation", (n) => n >= 0 && n < 1, "a fraction in [0, 1)"),
    patience: num(a, "patience", (n) => n >= 0, "a whole number >= 0"),
  };
  const overrides = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Overrides;
  const maxMemory = num(a, "max-memory");
  return { overrides, ...(maxMemory !== undefined ? { maxMemory } : {}) };
}

export function num(a: ParsedArgs, name: string, check?: (n: number) => boolean, what?: string): number | undefined {
  const v = a.values.get(name);
  if (v === undefined) return undefined;
  const n = v as number;
  if (check && !check(n)) throw new UsageError(`--${name} ${n}: expected ${what}`);
  return n;
}

export function str(a: ParsedArgs, name: string): string | undefined {
  return a.values.get(name) as string | undefined;
}
