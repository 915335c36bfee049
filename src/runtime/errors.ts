/**
 * The errors a runtime step throws, by exit code. Runtime file: imports nothing.
 */

/** How the command was called is wrong (exit 2). */
export class UsageError extends Error {}

/** A file cannot be read or written, or a model directory does not fit the model (exit 2). */
export class IoError extends Error {}

/** A problem with a model directory (missing, another format, truncated weights, not this model's): exit 2. */
export class ModelFileError extends IoError {}

/**
 * Why a file operation failed, in words, from the error's code (`no such
 * file`, `it is a directory`, ...); the system's message for a code without
 * words here. Messages say `cannot read PATH: ` and this.
 */
export function ioReason(e: unknown): string {
  switch ((e as { code?: string } | undefined)?.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a directory";
    case "ENOTDIR":
      return "a folder on its path is a file";
    case "EEXIST":
      return "a file of that name is in the way";
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return "permission denied";
    case "ENOSPC":
      return "the disk is full";
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
