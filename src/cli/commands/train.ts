/**
 * `seqc train SPEC --data FILE`: check the spec, load and validate the data
 * (stopping before training on any bad line), train with the tfjs target,
 * checkpoint every epoch and on Ctrl-C, and save the model directory.
 * TensorFlow.js is imported here only, lazily.
 */
import { readFileSync } from "node:fs";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import type { ModelInfo } from "../../check/infer.js";
import { specSettings, withOverrides, type Overrides } from "../../backends/settings.js";
import type { BackendName } from "../../backends/tfjs/engine.js";
import { UserIoError } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";
import { checkFile } from "./check.js";

export interface TrainOptions extends OutputOptions {
  data: string;
  out: string;
  backend?: BackendName;
  model?: string;
  overrides: Overrides;
  /** Text data: steps per training sequence (default: the spec's bptt window, else 100). */
  seqLength?: number;
  quiet: boolean;
}

/** The one model of a checked spec, or the one named. */
export function pickModel(models: ModelInfo[], file: string, name?: string): ModelInfo {
  const found = name === undefined ? models : models.filter((m) => m.name === name);
  if (found.length === 1) return found[0]!;
  const names = models.map((m) => m.name).join(", ") || "none";
  if (found.length === 0) throw new UserIoError(name === undefined ? `${file} has no model` : `${file} has no model ${name} (it has ${names})`);
  throw new UserIoError(`${file} has several models (${names}): choose one with --model`);
}

export async function runTrain(spec: string, opts: TrainOptions): Promise<number> {
  const { program, result } = checkFile(spec);
  if (hasErrors(result.diagnostics)) {
    emitDiagnostics(result.diagnostics, program.sources, opts);
    return 1;
  }
  const info = pickModel(result.models, spec, opts.model);
  const [{ buildGraph }, data, { loadEngine }, { TfModel }, { Trainer, NonFiniteLossError }, { saveModel }, { vocabulariesToJSON }, progress] = await Promise.all([
    import("../../graph/build.js"),
    import("../../backends/data/load.js"),
    import("../../backends/tfjs/engine.js"),
    import("../../backends/tfjs/exec.js"),
    import("../../backends/tfjs/train.js"),
    import("../../backends/save.js"),
    import("../../backends/data/vocab.js"),
    import("cli-progress"),
  ]);
  const graph = buildGraph(info);
  const settings = withOverrides(specSettings(info.model), opts.overrides);
  let dataset;
  try {
    dataset = data.loadDataset(opts.data, graph, sequenceOptions(opts.data, opts.seqLength ?? (settings.bptt || DEFAULT_SEQUENCE)));
  } catch (e) {
    if (e instanceof data.DataError) {
      process.stderr.write(`seqc: ${e.message}\n`);
      return 1;
    }
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new UserIoError(`cannot read ${opts.data}: no such file`);
    throw e;
  }
  const engine = await loadEngine(opts.backend);
  const log = (s: string) => {
    if (!opts.quiet) process.stderr.write(s + "\n");
  };
  log(`seqc: training ${info.name} on ${dataset.examples} examples with TensorFlow.js (${engine.backend} backend)`);
  const { train, validation } = settings.validation > 0 ? dataset.split(settings.validation, settings.seed) : { train: dataset, validation: undefined };
  const model = new TfModel(graph, engine, dataset.dims, settings.seed);
  const trainer = new Trainer(model, settings);
  // Checkpoints: after every epoch, but at most one every CHECKPOINT_SECONDS (tiny epochs would
  // spend their time writing files), and always after the last epoch and on Ctrl-C.
  let lastSave = 0;
  const save = () => {
    lastSave = performance.now();
    saveModel(
      opts.out,
      {
        spec: { file: spec, source: program.sources.get(program.root.file)! },
        model: info.name,
        dims: dataset.dims,
        vocabularies: vocabulariesToJSON(dataset.vocabularies),
        settings,
        trained: { epochs: trainer.epoch, seed: settings.seed },
      },
      new Map([...model.params].map(([name, v]) => [name, { shape: v.shape, values: v.dataSync() as Float32Array }])),
    );
  };
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on("SIGINT", onSigint);
  const bar = opts.quiet || !process.stderr.isTTY
    ? undefined
    : new progress.SingleBar(
        { format: "epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {eta_formatted}", stream: process.stderr, hideCursor: true },
        progress.Presets.shades_classic,
      );
  const steps = train.batchCount(settings.batch);
  try {
    trainer.fit(train, {
      ...(validation ? { validation } : {}),
      onStep: (s) => {
        if (s.step === 1) bar?.start(steps, 0, { epoch: s.epoch, epochs: settings.epochs, loss: "-", tps: "-" });
        bar?.update(s.step, { epoch: s.epoch, loss: s.loss.toFixed(4), tps: Math.round(s.tokens / Math.max(1e-9, (performance.now() - epochStart) / 1000)) });
      },
      onEpoch: (r) => {
        bar?.stop();
        if (interrupted || r.epoch === settings.epochs || performance.now() - lastSave > CHECKPOINT_SECONDS * 1000) save();
        epochStart = performance.now();
        const every = Math.max(1, Math.ceil(settings.epochs / 20));
        if (r.epoch % every === 0 || r.epoch === settings.epochs || interrupted) {
          log(`epoch ${r.epoch}/${settings.epochs}  loss ${r.loss.toFixed(5)}${r.validationLoss !== undefined ? `  validation ${r.validationLoss.toFixed(5)}` : ""}  ${Math.round(r.tokensPerSecond)} tok/s`);
        }
      },
      shouldStop: () => interrupted,
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof NonFiniteLossError) {
      process.stderr.write(`seqc: ${e.message}; training stopped. The last good checkpoint is in ${opts.out}\nTry a smaller learning rate (--lr) or gradient clipping (--clip 5).\n`);
      return 1;
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
  if (trainer.epoch > 0 && (interrupted || trainer.epoch < settings.epochs)) save();
  model.dispose();
  log(interrupted ? `seqc: interrupted; checkpoint saved in ${opts.out} (epoch ${trainer.epoch})` : `seqc: saved ${opts.out}`);
  return interrupted ? 130 : 0;
}

let epochStart = performance.now();

/** Steps per training sequence cut from a text or a series when neither the spec (bptt) nor the command line says. */
const DEFAULT_SEQUENCE = 100;

/** Text and CSV are cut into sequences of `steps` (a text shorter than that is one sequence). */
function sequenceOptions(path: string, steps: number): { seqLength?: number; window?: number } {
  if (/\.txt$/i.test(path)) {
    let length = steps;
    try {
      length = Math.min(steps, [...readFileSync(path, "utf8")].length - 1);
    } catch {
      // unreadable: loadDataset reports it
    }
    return { seqLength: Math.max(1, length) };
  }
  if (/\.csv$/i.test(path)) return { window: steps };
  return {};
}

/** The least time between two checkpoints. */
const CHECKPOINT_SECONDS = 2;
