/**
 * The errors a runtime step throws, by exit code. Runtime file: imports nothing.
 */

/** How the command was called is wrong (exit 2). */
export class UsageError extends Error {}

/** A file cannot be read or written, or a model directory does not fit the model (exit 2). */
export class IoError extends Error {}

/** A problem with a model directory (missing, another format, truncated weights, not this model's): exit 2. */
export class ModelFileError extends IoError {}
