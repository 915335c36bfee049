/**
 * The CLI's contact with the file system: reading specs, expanding globs, and
 * writing files atomically (a temp file renamed over the target, so a crash
 * never leaves a half-written file).
 */
import { NotASpecFile, readSpecFile } from "../ir/program.js";
import { IoError, ioReason } from "../runtime/errors.js";

/** A user-facing I/O failure: reported as one line, exit code 2. The runtime's IoError (a model directory that does not fit is one too). */
export { IoError as UserIoError };

/** A command line that cannot be run as written: reported with a pointer to --help, exit code 2 (the runtime's, so a runtime step's usage error is one too). */
export { UsageError } from "../runtime/errors.js";

/**
 * How the CLI loads a spec for the driver: the root read with readText (an
 * unreadable one is a UserIoError), its imports with readSpecFile (an
 * unreadable import is a diagnostic at the import), and the model asked for.
 */
export function specFiles(path: string, model?: string): { readFile: (p: string) => string; text: string; model?: string } {
  return { readFile: readSpecFile, text: readText(path), ...(model !== undefined ? { model } : {}) };
}

/** A spec file's text (readSpecFile: a regular file of at most 10 MiB); a failure is a UserIoError saying why in words. */
export function readText(path: string): string {
  try {
    return readSpecFile(path);
  } catch (e) {
    throw new IoError(`cannot read ${path}: ${e instanceof NotASpecFile ? e.message : ioReason(e)}`);
  }
}

/** Writes via a temp file in the same directory and a rename; failures are I/O errors naming the file. */
export { writeAtomic } from "../runtime/files.js";

/** Characters without which a path is no glob pattern (tinyglobby, loaded only when one has them, decides for the others). */
const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** Expands glob patterns (sorted); plain paths are kept as given, so a missing file is reported when read. */
export async function expandPaths(patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of patterns) {
    if (!GLOB_CHARS.test(p)) {
      out.push(p);
      continue;
    }
    const { glob, isDynamicPattern } = await import("tinyglobby");
    if (!isDynamicPattern(p)) {
      out.push(p);
      continue;
    }
    const found = (await glob(p, { onlyFiles: true, expandDirectories: false })).sort();
    if (found.length === 0) throw new IoError(`no files match ${p}`);
    out.push(...found);
  }
  return out;
}
