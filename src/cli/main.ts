/**
 * The seqc command line. Exit codes: 0 clean, 1 errors found in a spec, 2 usage
 * or I/O error. A user's mistake never prints a stack trace.
 */
import yargs, { type Argv } from "yargs";
import { FORMATS, type Format } from "../diagnostics/render/index.js";
import { runCheck } from "./commands/check.js";
import { runFmt } from "./commands/fmt.js";
import { runIr } from "./commands/ir.js";
import { runSummary } from "./commands/summary.js";
import { UserIoError } from "./io.js";
import { VERSION, type OutputOptions } from "./output.js";

/** A mistake in the command line: reported with a pointer to --help, exit code 2. */
class UsageError extends Error {}

const EPILOG = `Exit codes: 0 no errors, 1 errors found in a spec, 2 usage or I/O error.
The language: docs/language.md. Example specs: specs/*.seq.`;

interface GlobalArgs {
  format: Format;
  color: boolean | undefined;
}

function outputOptions(a: GlobalArgs): OutputOptions {
  return { format: a.format, color: a.color };
}

/** Runs the CLI with the given arguments (without `node seqc`) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exit = 0;
  const cli = (yargs(argv) as Argv)
    .scriptName("seqc")
    .usage("$0 <command> [options]\n\nA compiler for neural sequence models written as .seq specs.")
    .option("format", {
      alias: "f",
      choices: FORMATS as Format[],
      default: "human" as Format,
      describe: "how to report problems: human (code frames), json, sarif (SARIF 2.1.0) or github (workflow annotations)",
    })
    .option("color", { type: "boolean", describe: "color the human output (default: when stderr is a terminal and NO_COLOR is unset)" })
    .command(
      "check <files..>",
      "check specs: syntax, names, every tensor shape (globs allowed: 'specs/*.seq')",
      (y) => y.positional("files", { type: "string", array: true, demandOption: true, describe: "spec files or glob patterns" }).option("quiet", { alias: "q", type: "boolean", default: false, describe: "print nothing when there are no problems" }),
      async (a) => {
        exit = await runCheck(a.files as string[], { ...outputOptions(a as GlobalArgs), quiet: a.quiet });
      },
    )
    .command(
      "summary <file>",
      "print each model's values, their shapes and parameter counts (Keras-style)",
      (y) => y.positional("file", { type: "string", demandOption: true }).option("model", { alias: "m", type: "string", describe: "only this model" }),
      (a) => {
        const opts: OutputOptions & { model?: string } = outputOptions(a as GlobalArgs);
        if (a.model !== undefined) opts.model = a.model;
        exit = runSummary(a.file, opts);
      },
    )
    .command(
      "ir <file>",
      "print the IR of a spec as JSON",
      (y) => y.positional("file", { type: "string", demandOption: true }),
      (a) => {
        exit = runIr(a.file, outputOptions(a as GlobalArgs));
      },
    )
    .command(
      "fmt <files..>",
      "format specs in place (comments are kept); --check only reports",
      (y) => y.positional("files", { type: "string", array: true, demandOption: true }).option("check", { type: "boolean", default: false, describe: "do not write; exit 1 if a file would change" }),
      async (a) => {
        exit = await runFmt(a.files as string[], { ...outputOptions(a as GlobalArgs), check: a.check });
      },
    )
    .example("$0 check specs/*.seq", "check every spec")
    .example("$0 check --format sarif specs/*.seq > seqc.sarif", "report for code scanning")
    .example("$0 summary specs/conv_arith.seq", "shapes and parameter counts")
    .example("$0 fmt --check specs/*.seq", "fail CI if a spec is not formatted")
    .demandCommand(1, "name a command: check, summary, ir or fmt")
    .strict()
    .recommendCommands()
    .epilog(EPILOG)
    .version(VERSION)
    .help()
    .alias("h", "help")
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Throwing stops yargs before any command runs.
      throw err ?? new UsageError(msg);
    });
  try {
    await cli.parseAsync();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`seqc: ${e.message}\nRun 'seqc --help' for usage.\n`);
      return 2;
    }
    if (e instanceof UserIoError) {
      process.stderr.write(`seqc: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return exit;
}
