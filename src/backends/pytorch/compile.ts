/**
 * The pytorch target: a checked model's graph -> the files of a PyTorch
 * trainer (`seqc compile SPEC --target pytorch -o DIR`):
 *   model.py      the model as nn.Modules (emit.ts)
 *   seqc_torch.py the ops' helpers it imports, train.py the trainer (py/, copied)
 *   info.json     what the trainer knows of the model: fields, dims, vocabularies,
 *                 parameters, losses, the spec's train {} settings (the ts target's ModelInfo),
 *                 and `defaults`: each optimizer's default lr and each schedule option's
 *                 default (src/runtime/settings.ts DEFAULT_LR, LR_SCHEDULES), so that
 *                 train.py does not keep copies of them
 *   seqc_node/    seqc's runtime as JavaScript, which the trainer runs with Node for
 *                 what must be the same in every target: reading data and vocabularies,
 *                 the initial weights of a seed, and model directories (bridge.js)
 * `torchFiles` is pure; reading the copied files from the package is `torchRuntimeSources`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Graph } from "../../graph/graph.js";
import type { ModelInfo as CheckedModel } from "../../check/infer.js";
import type { Program } from "../../ir/program.js";
import { specSettings, type TrainSettings } from "../settings.js";
import { DEFAULT_LR, LR_SCHEDULES } from "../../runtime/settings.js";
import { packageRoot } from "../package-root.js";
import { modelInfo, outputFiles, runtimeSources } from "../ts/compile.js";
import { emitTorchModel } from "./emit.js";

export { PyTorchTargetError } from "./ops.js";

/** The Python files copied beside model.py (seqc_torch.py, train.py), by name. */
export function torchRuntimeSources(): Record<string, string> {
  const dir = join(packageRoot(), "src", "backends", "pytorch", "py");
  return Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith(".py")).sort().map((f) => [f, readFileSync(join(dir, f), "utf8")]));
}

/** What train.py takes from the runtime's tables: each optimizer's default lr, each schedule's options with their defaults (null: must be given). */
const TRAINER_DEFAULTS = {
  lr: DEFAULT_LR,
  schedules: Object.fromEntries(Object.entries(LR_SCHEDULES).map(([name, s]) => [name, Object.fromEntries(Object.entries(s.options).map(([k, o]) => [k, o.default ?? null]))])),
};

/** The folder of seqc's runtime (as JavaScript) beside the trainer. */
export const NODE_DIR = "seqc_node";

/** Every file of the PyTorch trainer, by path (see the file comment). */
export function torchFiles(graph: Graph, sources: Map<string, string>, settings: TrainSettings, spec: { file: string; source: string }, python: Record<string, string>, runtime: Record<string, string>): Record<string, string> {
  const info = { ...modelInfo(graph, settings, spec, { precision: "f32" }), defaults: TRAINER_DEFAULTS };
  const node = outputFiles(runtime, { js: true });
  const files: Record<string, string> = { ...python, "model.py": emitTorchModel(graph, sources), "info.json": `${JSON.stringify(info, null, 2)}\n` };
  for (const [name, text] of Object.entries(node)) if (name.endsWith(".js") || name === "package.json") files[`${NODE_DIR}/${name}`] = text;
  return files;
}

/** What `seqc compile --target pytorch` writes for a checked model (a PyTorchTargetError says what the target cannot compile). */
export function pytorchTrainerFiles(program: Program, model: CheckedModel, graph: Graph): Record<string, string> {
  const spec = { file: program.root.file, source: program.sources.get(program.root.file) ?? "" };
  return torchFiles(graph, program.sources, specSettings(model.model), spec, torchRuntimeSources(), runtimeSources());
}
