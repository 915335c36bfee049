/**
 * The emitted trainer's command-line options, parsed by hand: `--name value`,
 * `--name=value`, flags and short aliases. Runtime file: imports only its siblings.
 */
import { UsageError } from "./errors.js";

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
    if (kind === "string") values.set(name, raw);
    else {
      const n = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number, not ${JSON.stringify(raw)}`);
      if (kind === "int" && !Number.isInteger(n)) throw new UsageError(`--${name} needs a whole number, not ${raw}`);
      values.set(name, n);
    }
  }
  return { values };
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
