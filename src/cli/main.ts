/**
 * The seqc command line. Exit codes: 0 clean, 1 errors found in a spec, 2 usage
 * or I/O error. A user's mistake never prints a stack trace.
 */
import type { Argv } from "yargs";
import { FORMATS, type Format } from "../diagnostics/render/index.js";
import { BACKENDS, type BackendName } from "../backends/tfjs/engine.js";
import { UsageError, UserIoError } from "./io.js";
import { COMPILE_TARGETS, DIM_HELP, dimTexts, EXPORT_TARGETS, GRAPH_FORMATS, IMPORT_FORMATS, parseDims, PLOT_AXES, VERSION, type CompileTarget, type ExportTarget, type GraphFormat, type ImportFormat, type PlotAxis } from "./options.js";
import type { OutputOptions } from "./output.js";
import type { Rankdir } from "../graph/dot.js";
import { readCheckArgs } from "./check-args.js";
import { LOG_WINDOW } from "../runtime/settings.js";

// Each command's module is imported when the command runs: `seqc check` loads
// the parser and the checker, not the trainers, the ts target or the exporters.
const commands = {
  check: () => import("./commands/check.js"),
  summary: () => import("./commands/summary.js"),
  graph: () => import("./commands/graph.js"),
  plot: () => import("./commands/plot.js"),
  ir: () => import("./commands/ir.js"),
  fmt: () => import("./commands/fmt.js"),
  train: () => import("./commands/train.js"),
  use: () => import("./commands/use.js"),
  compile: () => import("./commands/compile.js"),
  export: () => import("./commands/export.js"),
  init: () => import("./commands/init.js"),
  lsp: () => import("./commands/lsp.js"),
};

const EPILOG = `Exit codes: 0 no errors, 1 errors found in a spec, 2 usage or I/O error.
The language: docs/language.md. Example specs: specs/*.seq.`;

interface GlobalArgs {
  format: Format;
  color: boolean | undefined;
}

function outputOptions(a: GlobalArgs): OutputOptions {
  return { format: a.format, color: a.color };
}

/**
 * Output to a reader that went away (`seqc ir spec.seq | head -1`) ends seqc
 * at once and quietly, with exit code 0: the reader has what it wanted, and the
 * rest would go nowhere (Node reports EPIPE where other tools get SIGPIPE). Any
 * other failure to write the output is an I/O error (exit 2).
 */
function endOnClosedOutput(stream: NodeJS.WriteStream, name: string): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    try {
      if (name !== "standard error") process.stderr.write(`seqc: cannot write to ${name}: ${e.message}\n`);
    } finally {
      process.exit(2);
    }
  });
}

/** Runs the CLI with the given arguments (without `node seqc`) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  endOnClosedOutput(process.stdout, "standard output");
  endOnClosedOutput(process.stderr, "standard error");
  try {
    // The usual forms of `seqc check` skip yargs (./check-args.ts: start-up time); yargs reads every other command line.
    const check = readCheckArgs(argv);
    if (check) return await (await commands.check()).runCheck(check.files, { format: check.format, color: check.color, quiet: check.quiet, dims: parseDims(check.dims) });
    return await runYargs(argv);
  } catch (e) {
    return await reportError(e);
  }
}

/** The exit code of an error a command threw for the user to fix (printed in one line); anything else is rethrown. */
async function reportError(e: unknown): Promise<number> {
  if (e instanceof UsageError) {
    process.stderr.write(`seqc: ${e.message}\nRun 'seqc --help' for usage.\n`);
    return 2;
  }
  if (e instanceof UserIoError) {
    process.stderr.write(`seqc: ${e.message}\n`);
    return 2;
  }
  // The command that threw has loaded these modules already.
  const [{ ModelChoiceError, DimError }, { NodeError }, { describeSource }] = await Promise.all([import("../driver.js"), import("../graph/graph.js"), import("./output.js")]);
  if (e instanceof ModelChoiceError) {
    process.stderr.write(`seqc: ${e.message}\n`);
    return 2;
  }
  if (e instanceof DimError) {
    for (const p of e.problems) process.stderr.write(`seqc: --dim ${p.name}=${p.value}: ${p.why}\n`);
    return 2;
  }
  if (e instanceof NodeError) {
    // A backend's error at a node of the model: a bug, but one that says where it was working.
    process.stderr.write(`seqc: internal error at ${describeSource(e.src)}: ${e.message}\n`);
    return 70;
  }
  throw e;
}

/** `--model`/`-m`: which model of a spec with several. */
const modelOption = (describe = "the model, when the spec has several") => ({ alias: "m", type: "string", describe }) as const;

/** `--dim NAME=VALUE` (repeatable), and what its values do in this command. */
const dimOption = (effect = "") => ({ type: "string", requiresArg: true, describe: `${DIM_HELP}${effect}` }) as const;

/** The command line read by yargs: every command, --help, --version. */
async function runYargs(argv: string[]): Promise<number> {
  const { default: yargs } = await import("yargs");
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
      "check specs: syntax, names, every tensor shape (globs allowed: 'specs/*.seq'; - reads a spec from standard input)",
      (y) =>
        y.positional("files", { type: "string", array: true, demandOption: true, describe: "spec files or glob patterns" })
          .option("quiet", { alias: "q", type: "boolean", default: false, describe: "print nothing when there are no problems" })
          .option("dim", dimOption()),
      async (a) => {
        // yargs drops a lone "-" (standard input) from the positionals: take it from the arguments.
        const files = [...(a.files as string[]), ...(argv.includes("-") ? ["-"] : [])];
        exit = await (await commands.check()).runCheck(files, { ...outputOptions(a as GlobalArgs), quiet: a.quiet, dims: parseDims(dimTexts(a.dim)) });
      },
    )
    .command(
      "summary <file>",
      "print each model's values, their shapes and parameter counts (Keras-style)",
      (y) =>
        y.positional("file", { type: "string", demandOption: true })
          .option("model", modelOption("only this model"))
          .option("dim", dimOption(": the counts become numbers")),
      async (a) => {
        const opts: OutputOptions & { model?: string; dims?: ReadonlyMap<string, number> } = { ...outputOptions(a as GlobalArgs), dims: parseDims(dimTexts(a.dim)) };
        if (a.model !== undefined) opts.model = a.model;
        exit = (await commands.summary()).runSummary(a.file, opts);
      },
    )
    .command(
      "graph <spec>",
      "draw a model as a diagram: each value's name, op, shape and parameters; --expand draws each cell's step with its recurrent edges (SVG rendered offline by Graphviz in WebAssembly, or DOT; no PNG)",
      (y) =>
        y.positional("spec", { type: "string", demandOption: true })
          .option("out", { alias: "o", type: "string", describe: "the file to write: .svg, or .dot/.gv for Graphviz's text (default: SVG on standard output)" })
          .option("to", { choices: [...GRAPH_FORMATS], describe: "svg or dot, whatever -o is called" })
          .option("model", modelOption())
          .option("dim", dimOption(": shapes and counts become numbers too"))
          .option("expand", { type: "boolean", default: false, describe: "draw each cell (scan) as a cluster: its step's equations, states and the edge from each next state back" })
          .option("rankdir", { choices: ["TB", "LR"] satisfies Rankdir[], default: "TB", describe: "top to bottom or left to right" }),
      async (a) => {
        exit = await (await commands.graph()).runGraph(a.spec, {
          ...outputOptions(a as GlobalArgs), expand: a.expand, rankdir: a.rankdir as Rankdir, dims: parseDims(dimTexts(a.dim)),
          ...(a.out !== undefined ? { out: a.out } : {}), ...(a.to !== undefined ? { to: a.to as GraphFormat } : {}), ...(a.model !== undefined ? { model: a.model } : {}),
        });
      },
    )
    .command(
      "plot <logs..>",
      "draw training curves (loss and validation loss) of one or several --log files of seqc train or an emitted trainer: an SVG chart, or in the terminal",
      (y) =>
        y.positional("logs", { type: "string", array: true, demandOption: true, describe: "training logs (JSON lines)" })
          .option("out", { alias: "o", type: "string", describe: "the SVG file to write" })
          .option("terminal", { type: "boolean", default: false, describe: "draw the chart on standard output" })
          .option("x", { choices: [...PLOT_AXES], default: "step", describe: "draw against updates or seconds" }),
      async (a) => {
        exit = await (await commands.plot()).runPlot(a.logs as string[], {
          terminal: a.terminal, x: a.x as PlotAxis, ...(a.out !== undefined ? { out: a.out } : {}), ...((a as GlobalArgs).color !== undefined ? { color: (a as GlobalArgs).color! } : {}),
        });
      },
    )
    .command(
      "ir <file>",
      "print the IR of a spec as JSON",
      (y) => y.positional("file", { type: "string", demandOption: true }),
      async (a) => {
        exit = (await commands.ir()).runIr(a.file, outputOptions(a as GlobalArgs));
      },
    )
    .command(
      "fmt <files..>",
      "format specs in place (comments are kept); --check only reports",
      (y) => y.positional("files", { type: "string", array: true, demandOption: true }).option("check", { type: "boolean", default: false, describe: "do not write; exit 1 if a file would change" }),
      async (a) => {
        exit = await (await commands.fmt()).runFmt(a.files as string[], { ...outputOptions(a as GlobalArgs), check: a.check });
      },
    )
    .command(
      "train <spec>",
      "train a model with TensorFlow.js; the spec's train {} settings are defaults, flags override them",
      (y) =>
        y
          .positional("spec", { type: "string", demandOption: true })
          .option("data", { alias: "d", type: "string", demandOption: true, describe: "training data: .jsonl (a field per input and target), .txt (language models) or .csv (series)" })
          .option("out", { alias: "o", type: "string", describe: "model directory to write (default out/<model>)" })
          .option("model", modelOption("which model of the spec"))
          .option("dim", dimOption(" (the data must agree)"))
          .option("backend", { choices: BACKENDS as unknown as string[], describe: "TensorFlow.js engine (default: the fastest present)" })
          .option("epochs", { type: "string", requiresArg: true })
          .option("batch", { type: "string", requiresArg: true })
          .option("optimizer", { choices: ["sgd", "momentum", "adam", "rmsprop"] })
          .option("lr", { type: "string", requiresArg: true, describe: "learning rate" })
          .option("lr-schedule", { type: "string", describe: "the rate over the updates: constant, step(every: N, gamma: X), exponential(rate: X, steps: N), cosine(steps: N, min: X)" })
          .option("warmup", { type: "string", requiresArg: true, describe: "updates over which the rate rises linearly to --lr before the schedule" })
          .option("clip", { type: "string", requiresArg: true, describe: "clip gradients to this global norm" })
          .option("weight-decay", { type: "string", requiresArg: true })
          .option("bptt", { type: "string", requiresArg: true, describe: "truncated BPTT window in steps; the scans' states carry across windows (a text is cut into --batch streams)" })
          .option("seed", { type: "string", requiresArg: true })
          .option("validation", { type: "string", requiresArg: true, describe: "fraction of the data held out" })
          .option("patience", { type: "string", requiresArg: true, describe: "early stopping after this many epochs without improvement" })
          .option("init", { type: "string", requiresArg: true, describe: "start from the weights (and vocabularies) of this model directory, of the same model (seqc train's or an emitted trainer's)" })
          .option("resume", { type: "boolean", default: false, describe: "continue the run checkpointed in --out (weights, optimizer state, generator, position) up to --epochs" })
          .option("log", { type: "string", describe: `write one JSON line per ${LOG_WINDOW} updates (kind "steps") and per epoch (kind "epoch"): step, epoch, time, loss, validationLoss, lr, tokensPerSecond (emptied first unless --resume; seqc plot draws it)` })
          .option("max-memory", { type: "string", requiresArg: true, describe: "GB: refuse a model whose parameters, gradients and optimizer slots need more (default 4)" })
          .option("quiet", { alias: "q", type: "boolean", default: false }),
      async (a) => {
        // The flags an emitted trainer shares, read and checked by its code (numbers given as text): its rules and messages.
        const { parsedOf, TRAIN_FLAGS, trainFlags } = await import("../runtime/args.js");
        const { overrides, maxMemory } = trainFlags(parsedOf(a, TRAIN_FLAGS));
        const { runTrain } = await commands.train();
        const opts: Parameters<typeof runTrain>[1] = {
          ...outputOptions(a as GlobalArgs),
          data: a.data,
          out: a.out ?? `out/${a.model ?? a.spec.replace(/^.*\//, "").replace(/\.seq$/, "")}`,
          overrides,
          quiet: a.quiet,
          resume: a.resume,
          dims: parseDims(dimTexts(a.dim)),
        };
        if (a.log !== undefined) opts.log = a.log;
        if (a.init !== undefined) opts.init = a.init;
        if (maxMemory !== undefined) opts.maxMemory = maxMemory;
        if (a.backend !== undefined) opts.backend = a.backend as BackendName;
        if (a.model !== undefined) opts.model = a.model;
        exit = await runTrain(a.spec, opts);
      },
    )
    .command(
      "eval <model>",
      "evaluate a trained model directory on data: loss, accuracy, perplexity and bits per token",
      (y) => y.positional("model", { type: "string", demandOption: true }).option("data", { alias: "d", type: "string", demandOption: true }).option("backend", { choices: BACKENDS as unknown as string[] }),
      async (a) => {
        exit = await (await commands.use()).runEval(a.model, a.data, { ...outputOptions(a as GlobalArgs), ...(a.backend ? { backend: a.backend as BackendName } : {}) });
      },
    )
    .command(
      "predict <model>",
      "print a trained model's outputs for each example, step by step (--format json: a JSON object per example, full precision, with labels of token outputs)",
      (y) =>
        y.positional("model", { type: "string", demandOption: true }).option("data", { alias: "d", type: "string", demandOption: true })
          .option("value", { type: "string", describe: "which named value to print (default: the first loss's prediction)" })
          .option("backend", { choices: BACKENDS as unknown as string[] }),
      async (a) => {
        exit = await (await commands.use()).runPredict(a.model, a.data, { ...outputOptions(a as GlobalArgs), ...(a.backend ? { backend: a.backend as BackendName } : {}), ...(a.value ? { value: a.value } : {}) });
      },
    )
    .command(
      "sample <model>",
      "generate along the model's feedback edge: from a prime, or for each line of --input (greedy, sampled, or beam search)",
      (y) =>
        y.positional("model", { type: "string", demandOption: true })
          .option("prime", { type: "string", default: "", describe: "the start of the sequence" })
          .option("length", { type: "number", default: 100, describe: "how many tokens to add at most" })
          .option("temperature", { type: "number", default: 1, describe: "below 1 sharper, above 1 more random" })
          .option("greedy", { type: "boolean", default: false, describe: "always take the most likely token" })
          .option("seed", { type: "number", default: 1 })
          .option("input", { alias: "i", type: "string", describe: "JSONL of the model's other inputs (e.g. {\"x\": [\"3\",\"1\",\"4\"]}): decode every line" })
          .option("beam", { type: "number", describe: "beam search of this width (1 = greedy); with --compare, default 3" })
          .option("alpha", { type: "number", default: 0.7, describe: "beam length normalisation: rank by logP / len^alpha" })
          .option("start", { type: "string", describe: "start token(s) of each generated sequence (default <bos> when the vocabulary has it)" })
          .option("compare", { type: "boolean", default: false, describe: "with --input: exact-match accuracy of greedy and beam decoding against each line's target" })
          .option("backend", { choices: BACKENDS as unknown as string[] }),
      async (a) => {
        exit = await (await commands.use()).runSample(a.model, {
          ...outputOptions(a as GlobalArgs), prime: a.prime, length: a.length, temperature: a.temperature, greedy: a.greedy, seed: a.seed,
          alpha: a.alpha, compare: a.compare,
          ...(a.input !== undefined ? { input: a.input } : {}),
          ...(a.beam !== undefined ? { beam: a.beam } : {}),
          ...(a.start !== undefined ? { start: a.start } : {}),
          ...(a.backend ? { backend: a.backend as BackendName } : {}),
        });
      },
    )
    .command(
      "compile <spec>",
      "compile a spec's model to a standalone trainer (ts: TypeScript with the forward and backward passes written out, no dependencies; pytorch: nn.Modules and a torchrun/DDP trainer)",
      (y) =>
        y.positional("spec", { type: "string", demandOption: true })
          .option("target", { choices: [...COMPILE_TARGETS], default: "ts", describe: "what to compile to" })
          .option("out", { alias: "o", type: "string", demandOption: true, describe: "the directory to write (created if needed)" })
          .option("model", modelOption())
          .option("dim", dimOption(" (fixed in the trainer)"))
          .option("precision", { choices: ["f32", "f64"], default: "f32", describe: "ts: float type of the buffers (f64: Float64Array)" })
          .option("js", { type: "boolean", default: true, describe: "ts: also write .js beside each .ts (so `node OUT/train.js` runs it); --no-js for .ts only" })
          .option("quiet", { alias: "q", type: "boolean", default: false }),
      async (a) => {
        exit = await (await commands.compile()).runCompile(a.spec, {
          ...outputOptions(a as GlobalArgs), target: a.target as CompileTarget, out: a.out, precision: a.precision as "f32" | "f64", js: a.js, quiet: a.quiet,
          dims: parseDims(dimTexts(a.dim)),
          ...(a.model ? { model: a.model } : {}),
        });
      },
    )
    .command(
      "export <model>",
      "export a trained model directory (tfjs-layers: model.json + weights.bin for tf.loadLayersModel)",
      (y) =>
        y.positional("model", { type: "string", demandOption: true })
          .option("to", { choices: [...EXPORT_TARGETS], default: "tfjs-layers", describe: "the format to write" })
          .option("out", { alias: "o", type: "string", demandOption: true })
          .option("value", { type: "string", describe: "value to export (default: the first loss's prediction)" })
          .option("backend", { choices: BACKENDS as unknown as string[] })
          .option("quiet", { alias: "q", type: "boolean", default: false }),
      async (a) => {
        exit = await (await commands.export()).runExport(a.model, {
          ...outputOptions(a as GlobalArgs), to: a.to as ExportTarget, out: a.out, quiet: a.quiet,
          ...(a.value ? { value: a.value } : {}), ...(a.backend ? { backend: a.backend as BackendName } : {}),
        });
      },
    )
    .command(
      "import-weights <spec> <weights>",
      "write a seqc model directory whose weights come from a tfjs-layers model or a PyTorch state_dict of the same architecture (docs/pytorch.md)",
      (y) =>
        y.positional("spec", { type: "string", demandOption: true })
          .positional("weights", { type: "string", demandOption: true, describe: "a tfjs-layers model directory (model.json + weights), or a PyTorch .pt file holding a state_dict" })
          .option("from", { choices: [...IMPORT_FORMATS], describe: "the weights' format (default: torch for a file or a path ending in .pt or .pth, else tfjs-layers)" })
          .option("out", { alias: "o", type: "string", demandOption: true })
          .option("model", modelOption())
          .option("value", { type: "string", describe: "tfjs-layers: the value the layers model computes (default: the first loss's prediction)" })
          .option("backend", { choices: BACKENDS as unknown as string[] })
          .option("quiet", { alias: "q", type: "boolean", default: false }),
      async (a) => {
        exit = await (await commands.export()).runImportWeights(a.spec, a.weights, {
          ...outputOptions(a as GlobalArgs), out: a.out, quiet: a.quiet,
          ...(a.from ? { from: a.from as ImportFormat } : {}),
          ...(a.model ? { model: a.model } : {}), ...(a.value ? { value: a.value } : {}), ...(a.backend ? { backend: a.backend as BackendName } : {}),
        });
      },
    )
    .command(
      "lsp",
      "run the language server for editors: diagnostics, hover (shapes, parameter counts), go to definition, completion, outline",
      (y) =>
        y.option("stdio", { type: "boolean", demandOption: true, describe: "speak LSP over standard input and output (the only transport)" })
          .option("clientProcessId", { type: "number", hidden: true, describe: "set by some clients; the server also watches the processId of initialize" }),
      async () => {
        // Loaded on use: the protocol library is not needed by any other command.
        exit = await (await commands.lsp()).runLsp();
      },
    )
    .command(
      "init [dir]",
      "write a starter project: model.seq (a character-level LSTM language model) and data.txt (a text to train it on)",
      (y) =>
        y.positional("dir", { type: "string", default: ".", describe: "the directory to write into (created if needed)" })
          .option("force", { type: "boolean", default: false, describe: "replace model.seq and data.txt if they exist" })
          .option("quiet", { alias: "q", type: "boolean", default: false }),
      async (a) => {
        exit = (await commands.init()).runInit(a.dir, { force: a.force, quiet: a.quiet });
      },
    )
    .example("$0 init lm && $0 train lm/model.seq --data lm/data.txt -o lm/out", "a starter model, trained")
    .example("$0 check specs/*.seq", "check every spec")
    .example("$0 check --format sarif specs/*.seq > seqc.sarif", "report for code scanning")
    .example("$0 summary specs/conv_arith.seq", "shapes and parameter counts")
    .example("$0 graph specs/char_lstm.seq --expand -o char_lstm.svg", "the model as a diagram")
    .example("$0 train specs/mlp_xor.seq -d specs/data/xor.jsonl --log xor.jsonl && $0 plot xor.jsonl -o curves.svg", "training curves")
    .example("$0 fmt --check specs/*.seq", "fail CI if a spec is not formatted")
    .completion("completion", "print a completion script for bash or zsh (by $SHELL): seqc completion >> ~/.bashrc (or ~/.zshrc)")
    .demandCommand(1, "name a command (seqc --help lists them)")
    .strict()
    .recommendCommands()
    .epilog(EPILOG)
    .version(VERSION)
    .help()
    .alias("h", "help")
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Throwing stops yargs before any command runs. Its own objections (a flag without its value) come as a
      // YError: a usage error like the others; a command's error passes through.
      if (err && err.name !== "YError") throw err;
      throw new UsageError(msg ?? err?.message ?? "cannot read the command line");
    });
  await cli.parseAsync();
  return exit;
}
