/**
 * Loads a program: a root .seq file, the files it imports (transitively), and
 * the standard library (src/std/*.seq, always in scope). Each file is parsed,
 * lowered to IR and validated against the IR schema. File access is injected so
 * that tests and the CLI decide where text comes from.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { parseText } from "../parse/parse.js";
import type { IrModule } from "./ir.js";
import { lowerModule } from "./lower.js";
import { validateIr } from "./validate.js";

export interface LoadedModule {
  /** Name used in diagnostics: relative to the working directory, or `std/NAME.seq`. */
  file: string;
  /** The file's absolute path (an editor opens it from here; for the root, where its imports resolve from). */
  path: string;
  ir: IrModule;
  /** Part of the standard library. */
  std: boolean;
  /** Display names of the modules this one imports (resolved). */
  imports: string[];
}

export interface Program {
  root: LoadedModule;
  /** Every module: root, imports, standard library. */
  modules: LoadedModule[];
  sources: Map<string, string>;
  diagnostics: Diagnostic[];
}

/** Parses, lowers and validates one text. */
export function compileText(file: string, text: string): { ir: IrModule; diagnostics: Diagnostic[] } {
  const parsed = parseText(file, text);
  const lowered = lowerModule(file, parsed.module);
  const diagnostics = [...parsed.diagnostics, ...lowered.diagnostics];
  if (diagnostics.length === 0) diagnostics.push(...validateIr(file, lowered.module));
  return { ir: lowered.module, diagnostics };
}

function findStdDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "src", "std");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error("seqc: cannot find the standard library (src/std)");
}

/** One file of the standard library, compiled. */
export interface StdFile {
  /** The file's name in src/std (`recurrent.seq`). */
  name: string;
  text: string;
  ir: IrModule;
  diagnostics: Diagnostic[];
}

/**
 * The standard library compiled by `npm run build` (./std-cache.ts), next to
 * program.js in dist/ (never in src/): `seqc check` of a small spec would
 * otherwise spend more time compiling the standard library than the spec.
 */
export const STD_CACHE_MODULE = "std-ir.generated.json";

/** The build's compiled standard library by file name; none when it is missing (running from source) or unreadable. */
function readStdCache(): Map<string, StdFile> {
  try {
    const files = JSON.parse(readFileSync(new URL(`./${STD_CACHE_MODULE}`, import.meta.url), "utf8")) as StdFile[];
    return new Map(files.map((f) => [f.name, f]));
  } catch {
    return new Map();
  }
}

/** The standard library's files: each one's name in src/std and its text, and the directory they are in. */
export interface StdSources {
  dir: string;
  files: readonly { name: string; text: string }[];
}

/** The standard library as it is on disk (src/std/*.seq), by name. */
function readStdDir(): StdSources {
  const dir = findStdDir();
  const names = readdirSync(dir).filter((n) => n.endsWith(".seq")).sort();
  return { dir, files: names.map((name) => ({ name, text: readFileSync(join(dir, name), "utf8") })) };
}

/**
 * Compiles every file of the standard library (by default read from disk). A
 * file is taken from the build's cache when its text there is its text, else compiled.
 */
export function compileStd(cache: ReadonlyMap<string, StdFile> = new Map(), std: StdSources = readStdDir()): StdFile[] {
  return std.files.map(({ name, text }) => {
    const cached = cache.get(name);
    if (cached && cached.text === text) return cached;
    return { name, text, ...compileText(`std/${name}`, text) };
  });
}

type LoadedStd = { modules: LoadedModule[]; sources: Map<string, string>; diagnostics: Diagnostic[] };

let stdCache: LoadedStd | undefined;
const givenStd = new WeakMap<StdSources, LoadedStd>();

/**
 * The standard library, loaded once per process: from disk with the build's
 * cache, or from the sources given (a browser has no disk: web/ bundles them), once per given object.
 */
export function loadStd(given?: StdSources): LoadedStd {
  if (!given) return (stdCache ??= loadStdFrom(readStdDir(), readStdCache()));
  let loaded = givenStd.get(given);
  if (!loaded) givenStd.set(given, (loaded = loadStdFrom(given, new Map())));
  return loaded;
}

function loadStdFrom(std: StdSources, cache: ReadonlyMap<string, StdFile>): LoadedStd {
  const modules: LoadedModule[] = [];
  const sources = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  for (const f of compileStd(cache, std)) {
    const file = `std/${f.name}`;
    sources.set(file, f.text);
    diagnostics.push(...f.diagnostics);
    modules.push({ file, path: join(std.dir, f.name), ir: f.ir, std: true, imports: [] });
  }
  return { modules, sources, diagnostics };
}

export interface LoadOptions {
  /** Reads a file (absolute path); throws if it cannot. Defaults to fs.readFileSync. */
  readFile?: (path: string) => string;
  /** The root's text, if already read (the root's path still resolves its imports). */
  text?: string;
  /** Working directory for display names. */
  cwd?: string;
  /** The standard library's sources; default src/std on disk (and the build's compiled cache). */
  std?: StdSources;
}

/** The largest spec file seqc reads (10 MiB): a bigger one is refused unread. */
export const MAX_SPEC_BYTES = 10 * 1024 * 1024;

/** A spec file that is not one to read: a device, a pipe, a directory, or too big. Its message says why, in words. */
export class NotASpecFile extends Error {}

/**
 * Reads a spec file: only a regular file of at most MAX_SPEC_BYTES (`/dev/zero`
 * or a FIFO would never end, a directory is a mistake). A failure to read is
 * the file system's error, with its code.
 */
export function readSpecFile(path: string): string {
  const st = statSync(path);
  if (st.isDirectory()) throw new NotASpecFile("it is a directory");
  if (!st.isFile()) throw new NotASpecFile("it is not a regular file (a device, a pipe or a socket)");
  if (st.size > MAX_SPEC_BYTES) throw new NotASpecFile(`it has ${st.size} bytes; a spec may have at most ${MAX_SPEC_BYTES} (10 MiB)`);
  return readFileSync(path, "utf8");
}

/** A spec's text as the parser reads it: without a leading UTF-8 byte-order mark. */
export const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** Loads a root file and everything it imports. Missing imports and cycles are diagnostics. */
export function loadProgram(path: string, opts: LoadOptions = {}): Program {
  const read = opts.readFile ?? readSpecFile;
  const cwd = opts.cwd ?? process.cwd();
  const std = loadStd(opts.std);
  const sources = new Map(std.sources);
  const diagnostics: Diagnostic[] = [...std.diagnostics];
  const byAbs = new Map<string, LoadedModule>();
  const display = (abs: string) => relative(cwd, abs) || abs;

  const load = (abs: string, raw: string, stack: string[]): LoadedModule => {
    const file = display(abs);
    const text = withoutBom(raw);
    sources.set(file, text);
    const c = compileText(file, text);
    diagnostics.push(...c.diagnostics);
    const mod: LoadedModule = { file, path: abs, ir: c.ir, std: false, imports: [] };
    byAbs.set(abs, mod);
    for (const item of c.ir.items) {
      if (item.kind !== "import") continue;
      const target = resolve(dirname(abs), item.path);
      const span = { file, ...item.loc };
      if (stack.includes(target) || target === abs) {
        const cycle = [...stack.slice(stack.indexOf(target)), abs, target].map(display).join(" -> ");
        diagnostics.push(diagnostic("SEQ0004", `import cycle: ${cycle}`, span));
        continue;
      }
      const known = byAbs.get(target);
      if (known) {
        mod.imports.push(known.file);
        continue;
      }
      // Only specs are imported: another file's text would be parsed and its lines shown in the errors.
      if (!target.endsWith(".seq")) {
        diagnostics.push(diagnostic("SEQ0003", `cannot import ${JSON.stringify(item.path)}: an import names a spec, a file ending in .seq (the file was not read)`, span));
        continue;
      }
      let imported: string;
      try {
        imported = read(target);
      } catch (e) {
        const why = e instanceof NotASpecFile ? `: ${e.message}` : "";
        diagnostics.push(diagnostic("SEQ0003", `cannot read the imported file ${JSON.stringify(item.path)} (${display(target)})${why}`, span));
        continue;
      }
      mod.imports.push(load(target, imported, [...stack, abs]).file);
    }
    return mod;
  };

  const abs = resolve(cwd, path);
  const root = load(abs, opts.text ?? read(abs), []);
  return { root, modules: [root, ...[...byAbs.values()].filter((m) => m !== root), ...std.modules], sources, diagnostics };
}
