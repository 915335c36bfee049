/**
 * The CLI's contact with the file system: reading specs, expanding globs, and
 * writing files atomically (a temp file renamed over the target, so a crash
 * never leaves a half-written file).
 */
import { readFileSync } from "node:fs";
import { writeAtomic as writeFileAtomically } from "../backends/save.js";
import { glob, isDynamicPattern } from "tinyglobby";

/** A user-facing I/O failure: reported as one line, exit code 2. */
export class UserIoError extends Error {}

/** A command line that cannot be run as written: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** How the CLI loads a spec for the driver: its files read with readText (an unreadable one is a UserIoError), and the model asked for. */
export function specFiles(path: string, model?: string): { readFile: (p: string) => string; text: string; model?: string } {
  return { readFile: readText, text: readText(path), ...(model !== undefined ? { model } : {}) };
}

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : String((e as Error).message);
    throw new UserIoError(`cannot read ${path}: ${why}`);
  }
}

/** Writes via a temp file in the same directory and a rename (save.ts's writer); failures are I/O errors. */
export function writeAtomic(path: string, text: string): void {
  try {
    writeFileAtomically(path, text);
  } catch (e) {
    throw new UserIoError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Expands glob patterns (sorted); plain paths are kept as given, so a missing file is reported when read. */
export async function expandPaths(patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of patterns) {
    if (!isDynamicPattern(p)) {
      out.push(p);
      continue;
    }
    const found = (await glob(p, { onlyFiles: true, expandDirectories: false })).sort();
    if (found.length === 0) throw new UserIoError(`no files match ${p}`);
    out.push(...found);
  }
  return out;
}
