/**
 * `seqc check`'s command line read without yargs. Loading yargs costs about as
 * much as starting Node itself, and `seqc check` of one spec should start
 * within 3x of bare Node (`npm run bench -- startup`), so the usual forms of a
 * check are read here:
 *
 *   seqc check [--format F | -f F | --format=F] [--quiet | -q] [--color | --no-color]
 *              [--dim NAME=VALUE | --dim=NAME=VALUE]... FILES...   (options anywhere after `check`)
 *
 * Anything else (help, --version, an option not listed, a bad or repeated
 * value, `--`, no files) is not read here: `readCheckArgs` returns undefined and
 * yargs reads the whole command line, with its messages. So this reader never
 * reports a usage error; it only takes the lines yargs would take the same way.
 */
import { FORMATS, type Format } from "../diagnostics/render/index.js";

export interface CheckArgs {
  files: string[];
  format: Format;
  /** --color / --no-color; undefined: decide by the terminal. */
  color: boolean | undefined;
  quiet: boolean;
  /** Each --dim's text (`V=65`), in order; parsed by the command. */
  dims: string[];
}

/** The check command's arguments when they take one of the usual forms, else undefined (yargs reads them). */
export function readCheckArgs(argv: readonly string[]): CheckArgs | undefined {
  if (argv[0] !== "check") return undefined;
  const out: CheckArgs = { files: [], format: "human", color: undefined, quiet: false, dims: [] };
  const seen = new Set<string>();
  const once = (name: string): boolean => {
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-" || !a.startsWith("-")) {
      out.files.push(a);
      continue;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq >= 0 ? a.slice(0, eq) : a;
    const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("-") && next !== "-")) return undefined;
      i++;
      return next;
    };
    switch (name) {
      case "--format":
      case "-f": {
        const v = value();
        if (v === undefined || !(FORMATS as readonly string[]).includes(v) || !once("format")) return undefined;
        out.format = v as Format;
        break;
      }
      case "--quiet":
      case "-q":
        if (inline !== undefined || !once("quiet")) return undefined;
        out.quiet = true;
        break;
      case "--color":
      case "--no-color":
        if (inline !== undefined || !once("color")) return undefined;
        out.color = name === "--color";
        break;
      case "--dim": {
        const v = value();
        if (v === undefined) return undefined;
        out.dims.push(v);
        break;
      }
      default:
        return undefined;
    }
  }
  return out.files.length > 0 ? out : undefined;
}
