/**
 * `seqc compile SPEC --target ts -o DIR`: a standalone trainer for the spec's
 * model: model.ts (forward and backward written out), train.ts and the runtime
 * files, each with a .js beside it (so `node DIR/train.js` runs it) unless
 * --no-js, plus package.json (ES modules) and a tsconfig.json for `tsc -p DIR`.
 * `--target pytorch`: model.py (nn.Modules), train.py (torchrun/DDP), and
 * seqc's runtime for it (src/backends/pytorch/compile.ts).
 *
 * Exit codes: 0 done; 1 the spec has errors or uses something the ts target
 * cannot compile (the message says what); 2 unwritable output.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { compileSpec } from "../../driver.js";
import { specFiles, UserIoError } from "../io.js";
import { ioReason } from "../../runtime/errors.js";
import { compiledOrExit, describeSource, type OutputOptions } from "../output.js";
import type { CompileTarget } from "../options.js";
import type { Graph, NodeError } from "../../graph/graph.js";
import type { Program } from "../../ir/program.js";
import type { ModelInfo as CheckedModel } from "../../check/infer.js";
import { formatCount } from "../../check/summary.js";

export interface CompileOptions extends OutputOptions {
  target: CompileTarget;
  out: string;
  model?: string;
  precision: "f32" | "f64";
  js: boolean;
  quiet?: boolean;
  /** `--dim NAME=VALUE`: fixed in the emitted trainer. */
  dims?: ReadonlyMap<string, number>;
}

/** A target: its files, its error class (a model it cannot compile: exit 1 with the place in the spec), and what the summary says. */
interface Target {
  files(program: Program, info: CheckedModel, graph: Graph): Record<string, string>;
  TargetError: new (...args: never[]) => NodeError;
  /** What the summary says the trainer computes in (the ts target's precision). */
  label: string;
  /** The command that trains it, from the output folder. */
  run(out: string): string;
}

/** Each target for the options, its module imported when it runs. */
const TARGETS: Record<CompileTarget, (opts: CompileOptions) => Promise<Target>> = {
  ts: async (opts) => {
    const ts = await import("../../backends/ts/compile.js");
    return {
      files: (program, info, graph) => ts.trainerFiles(program, info, graph, { precision: opts.precision, js: opts.js }),
      TargetError: ts.TsTargetError,
      label: opts.precision,
      run: (out) => `node ${join(out, "train.js")} --data FILE   (--help for the options)`,
    };
  },
  pytorch: async () => {
    const pytorch = await import("../../backends/pytorch/compile.js");
    return {
      files: (program, info, graph) => pytorch.pytorchTrainerFiles(program, info, graph),
      TargetError: pytorch.PyTorchTargetError,
      label: "pytorch",
      run: (out) => `python3 ${join(out, "train.py")} --data FILE   (--help for the options; under torchrun for several processes or GPUs, docs/pytorch-target.md)`,
    };
  },
};

export async function runCompile(spec: string, opts: CompileOptions): Promise<number> {
  const compiled = compiledOrExit(compileSpec(spec, { ...specFiles(spec, opts.model), ...(opts.dims ? { dims: opts.dims } : {}) }), opts);
  if (typeof compiled === "number") return compiled;
  const { program, model: info, graph } = compiled;
  const [target, { writeAllAtomic }] = await Promise.all([TARGETS[opts.target](opts), import("../../runtime/files.js")]);
  let out: Record<string, string>;
  try {
    out = target.files(program, info, graph);
  } catch (e) {
    if (e instanceof target.TargetError) {
      process.stderr.write(`error: ${e.src ? describeSource(e.src) : spec}: model ${info.name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    for (const dir of new Set(Object.keys(out).map((name) => dirname(join(opts.out, name))))) mkdirSync(dir, { recursive: true });
    // All or none: a full disk leaves the folder as it was, not half a trainer.
    writeAllAtomic(opts.out, out);
  } catch (e) {
    // writeAtomic's IoError names the file already.
    if (e instanceof UserIoError) throw e;
    throw new UserIoError(`cannot write ${opts.out}: ${ioReason(e)}`);
  }
  if (!opts.quiet) {
    // Weights as seqc summary counts them (trained entries); tensors as the model directory holds them.
    const tensors = `${graph.params.length} parameter ${graph.params.length === 1 ? "tensor" : "tensors"}`;
    process.stdout.write(`compiled ${info.name} (${tensors}, ${formatCount(info, info.total)} weights, ${target.label}) to ${opts.out}: ${Object.keys(out).sort().join(", ")}\n`);
    process.stdout.write(`train it: ${target.run(opts.out)}\n`);
  }
  return 0;
}
