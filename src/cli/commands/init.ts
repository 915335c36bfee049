/**
 * `seqc init [DIR]`: a starter project in DIR (default the working directory):
 * model.seq, a character-level LSTM language model, and data.txt, a text to
 * train it on. Existing files are left alone (exit 2, nothing written) unless
 * --force. Exit 2 too when a file cannot be written, naming it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ioReason } from "../../runtime/errors.js";
import { writeAtomic } from "../../runtime/files.js";
import { UserIoError } from "../io.js";
import { STARTER_DATA, STARTER_SPEC } from "../starter.js";

export interface InitOptions {
  /** Replace existing files. */
  force: boolean;
  quiet: boolean;
}

/** The files `seqc init` writes, by name. */
export const STARTER_FILES: Record<string, string> = { "model.seq": STARTER_SPEC, "data.txt": STARTER_DATA };

export function runInit(dir: string, opts: InitOptions): number {
  const paths = Object.keys(STARTER_FILES).map((name) => join(dir, name));
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length > 0 && !opts.force) {
    throw new UserIoError(`${existing.join(" and ")} ${existing.length === 1 ? "exists" : "exist"}: seqc init writes nothing over a file (--force replaces ${existing.length === 1 ? "it" : "them"})`);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UserIoError(`cannot write ${dir}: ${ioReason(e)}`);
  }
  for (const [name, text] of Object.entries(STARTER_FILES)) writeAtomic(join(dir, name), text);
  if (!opts.quiet) {
    const [spec, data] = paths as [string, string];
    const out = join(dir, "out");
    process.stdout.write(
      [
        `wrote ${spec} (a character-level LSTM language model) and ${data} (a text to train it on); next:`,
        `  seqc check ${spec}`,
        `  seqc train ${spec} --data ${data} -o ${out}`,
        `  seqc sample ${out} --prime "The " --temperature 0.8`,
      ].join("\n") + "\n",
    );
  }
  return 0;
}
