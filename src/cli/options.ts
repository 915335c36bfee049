/**
 * What the command line offers that both main.ts (which declares the options)
 * and the commands (which run them) need: the choices of enumerated options.
 * Kept apart from the commands so that main.ts can list every command's
 * options without loading any command: each is imported when it runs.
 */

/** seqc's version (package.json's), for --version and SARIF reports. */
export const VERSION = "0.1.0";

/** `seqc compile --target`. */
export const COMPILE_TARGETS = ["ts"] as const;
export type CompileTarget = (typeof COMPILE_TARGETS)[number];

/** `seqc export --to` (one so far). */
export const EXPORT_TARGETS = ["tfjs-layers"] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];
