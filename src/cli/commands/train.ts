/**
 * `seqc train SPEC --data FILE`: check the spec, load and validate the data
 * (stopping before training on any bad line), train with the tfjs target,
 * checkpoint every epoch (throttled), on Ctrl-C (exit 130) and when the loss
 * stops being finite (the last good one; exit 1), and save the model
 * directory. `--resume` continues a checkpointed run exactly where it stopped;
 * `--init DIR` starts a new run from a saved model's weights.
 * TensorFlow.js is imported here only, lazily.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSpec } from "../../driver.js";
import { specSettings, withOverrides, type Overrides, type TrainSettings } from "../../backends/settings.js";
import type { TrainerProgress } from "../../backends/tfjs/train.js";
import type { BackendName } from "../../backends/tfjs/engine.js";
import { specFiles, UsageError, UserIoError } from "../io.js";
import { ioReason, ModelFileError } from "../../runtime/errors.js";
import { LogWriteError, TrainLog } from "../../runtime/train-log.js";
import { rateText } from "../../runtime/settings.js";
import { trainingOn } from "../../runtime/batches.js";
import { compiledOrExit, describeSource, type OutputOptions } from "../output.js";
import { readingData } from "../data.js";

export interface TrainOptions extends OutputOptions {
  data: string;
  out: string;
  backend?: BackendName;
  model?: string;
  overrides: Overrides;
  /** Text data: steps per training sequence (default: the spec's bptt window, else 100). */
  seqLength?: number;
  /** Continue the run checkpointed in `out` (weights, optimizer state, generator, position) up to the settings' epochs. */
  resume?: boolean;
  /** Start from the weights (and vocabularies) of this model directory, of the same model, instead of initial ones. */
  init?: string;
  /** Write the training log (src/runtime/train-log.ts) to this file (emptied first unless resuming). */
  log?: string;
  quiet: boolean;
  /** `--dim NAME=VALUE`: the spec's free dims fixed before the data is read (the data must agree). */
  dims?: ReadonlyMap<string, number>;
  /** --max-memory, in GB: the most the parameters, gradients and optimizer slots may need (default 4). */
  maxMemory?: number;
}

export async function runTrain(spec: string, opts: TrainOptions): Promise<number> {
  const compiled = compiledOrExit(compileSpec(spec, { ...specFiles(spec, opts.model), ...(opts.dims ? { dims: opts.dims } : {}) }), opts);
  if (typeof compiled === "number") return compiled;
  const { program, model: info, graph } = compiled;
  const [data, { loadEngine }, { TfModel }, { Trainer, NonFiniteLossError, windowAxis }, { saveModel, loadCheckpoint, loadModel, checkHasCheckpoint, checkResumable, checkModelFits, checkBuiltShape, lockModelDir }, { modelShape, dimValue }, { checkTrainingMemory, maxMemoryOf }, { vocabulariesToJSON, vocabulariesFromJSON }, progress] =
    await Promise.all([
      import("../../backends/tfjs/dataset.js"),
      import("../../backends/tfjs/engine.js"),
      import("../../backends/tfjs/exec.js"),
      import("../../backends/tfjs/train.js"),
      import("../../runtime/model-dir.js"),
      import("../../graph/dims.js"),
      import("../../runtime/memory.js"),
      import("../../runtime/vocab.js"),
      import("cli-progress"),
    ]);
  const source = program.sources.get(program.root.file)!;

  // --resume: the checkpoint in `out` must come from this spec and model; its settings are the base, flags still override.
  let checkpoint: ReturnType<typeof loadCheckpoint> | undefined;
  // One training run writes a model directory at a time (released at each return, and at exit).
  let unlock: (() => void) | undefined;
  if (opts.resume) {
    checkHasCheckpoint(opts.out);
    // Held from before the checkpoint is read: no other run writes it meanwhile.
    unlock = lockModelDir(opts.out);
    checkpoint = underFlag("--resume", () => loadCheckpoint(opts.out));
    // train.py (the pytorch target) marks its trainer state; its optimizer slots are PyTorch's, not TensorFlow.js's.
    const trainer = checkpoint.state.progress["trainer"];
    if (trainer !== undefined) throw new UserIoError(`--resume: ${opts.out} holds a checkpoint of another trainer (${String(trainer)}: train.py --resume continues it); train without --resume, or choose another -o`);
    checkResumable(checkpoint.meta, opts.out, info.name, { file: spec, source });
    underFlag("--resume", () => checkModelFits(checkpoint!, modelShape(graph), opts.out));
  }
  // --init: a model directory of this model (another spec's text is fine, as in an emitted trainer): its weights and vocabularies.
  let initial: ReturnType<typeof loadModel> | undefined;
  if (opts.init !== undefined) {
    if (opts.resume) throw new UsageError("--init and --resume: give one (--resume continues the run in -o; --init starts a new one from a model directory's weights)");
    initial = underFlag("--init", () => loadModel(opts.init!));
    underFlag("--init", () => checkModelFits(initial!, modelShape(graph), opts.init!));
  }
  const settings = withOverrides(checkpoint ? checkpoint.meta.settings : specSettings(info.model), opts.overrides);

  const saved = checkpoint ?? initial;
  const loadOpts = saved ? { vocabularies: vocabulariesFromJSON(saved.meta.vocabularies) } : {};
  const dataset = await readingData(() => loadTrainingData(data, opts.data, graph, settings, opts.seqLength, loadOpts));
  if (typeof dataset === "number") return dataset;
  // Refused before anything is allocated when its parameters alone would not fit (float32 in TensorFlow.js).
  const paramCount = graph.params.reduce((n, p) => n + p.shape.reduce((m, d) => m * dimValue(graph, d, dataset.dims), 1), 0);
  checkTrainingMemory(info.name, paramCount, 4, settings.optimizer.name, maxMemoryOf(opts.maxMemory));
  checkWritableDir(opts.out);
  unlock ??= lockModelDir(opts.out);
  const engine = await loadEngine(opts.backend);
  const log = (s: string) => {
    if (!opts.quiet) process.stderr.write(s + "\n");
  };
  const { train, validation } = settings.validation > 0 ? dataset.split(settings.validation, settings.seed) : { train: dataset, validation: undefined };
  const model = new TfModel(graph, engine, dataset.dims, settings.seed);
  const trainer = new Trainer(model, settings);
  if (initial) {
    for (const [name, w] of initial.weights) underFlag("--init", () => checkBuiltShape(opts.init!, name, w.shape, model.params.get(name)!.shape));
    model.setWeights(Object.fromEntries([...initial.weights].map(([n, w]) => [n, w.values])));
    initial.weights.clear();
  }
  if (checkpoint) {
    model.setWeights(Object.fromEntries([...checkpoint.weights].map(([n, w]) => [n, w.values])));
    await trainer.setState({ ...checkpoint.state, progress: checkpoint.state.progress as unknown as TrainerProgress });
    checkpoint.weights.clear();
    log(`seqc: resuming ${info.name} from ${opts.out} after epoch ${trainer.epoch}${trainer.midEpoch ? " (and part of the next)" : ""}`);
  }
  log(`seqc: ${trainingOn(info.name, train.examples, validation?.examples ?? 0, opts.init)} with TensorFlow.js (${engine.backend} backend)`);
  if (settings.bptt > 0) {
    log(windowAxis(train) !== undefined
      ? `seqc: truncated BPTT: windows of ${settings.bptt} steps, states carried across windows`
      : `seqc: note: --bptt ${settings.bptt} is not used: the data cannot be cut into windows (every input and target needs the sequence axis first)`);
  }
  // Before the first epoch: a log that cannot be written is the user's to fix, not an error after the work.
  const trainLog = opts.log !== undefined ? TrainLog.open(opts.log, checkpoint !== undefined) : undefined;

  // Checkpoints: prepared after every epoch whose weights are finite (the last good one, kept in memory),
  // written at most every CHECKPOINT_SECONDS (tiny epochs would spend their time writing files), and always
  // at the end, on Ctrl-C, and when the loss stops being finite (then the last good one).
  interface Checkpoint {
    epoch: number;
    weights: Map<string, { shape: number[]; values: Float32Array }>;
    state: Awaited<ReturnType<typeof trainer.getState>>;
  }
  const capture = async (): Promise<Checkpoint | undefined> => {
    const weights = new Map([...model.params].map(([name, v]) => [name, { shape: v.shape, values: Float32Array.from(v.dataSync()) }]));
    for (const w of weights.values()) if (!w.values.every(Number.isFinite)) return undefined;
    return { epoch: trainer.epoch, weights, state: await trainer.getState() };
  };
  let lastSave = performance.now();
  let written: Checkpoint | undefined;
  const write = (c: Checkpoint) => {
    lastSave = performance.now();
    written = c;
    saveModel(
      opts.out,
      {
        spec: { file: spec, source },
        model: info.name,
        dims: dataset.dims,
        vocabularies: vocabulariesToJSON(dataset.vocabularies),
        settings,
        trained: { epochs: c.epoch, seed: settings.seed },
      },
      c.weights,
      { ...c.state, progress: c.state.progress as unknown as Record<string, unknown> },
    );
  };
  let good = await capture();
  /** The end of the run (finished, stopped early, interrupted inside an epoch, or its log unwritable): saved where it is. */
  const saveWhereItIs = async () => {
    if (written && written.epoch === trainer.epoch && !trainer.midEpoch) return;
    const now = await capture();
    if (now) write(now);
    else if (good && good !== written) write(good);
  };
  let interrupted = false;
  // Ctrl-C: finish the batch, save and stop. A second Ctrl-C (no handler by then) stops at once, even inside
  // a long batch; a checkpoint is replaced whole or not at all, so the directory keeps a complete one.
  // The message first: once the handler is off, a second Ctrl-C that is already on its way stops the process.
  const onSigint = () => {
    interrupted = true;
    if (!opts.quiet) process.stderr.write(`seqc: interrupted: saving after this batch (Ctrl-C again to stop at once; ${opts.out} keeps its last complete checkpoint)\n`);
    process.off("SIGINT", onSigint);
  };
  process.on("SIGINT", onSigint);
  const bar = opts.quiet || !process.stderr.isTTY
    ? undefined
    : new progress.SingleBar(
        { format: "epoch {epoch}/{epochs} [{bar}] {value}/{total} steps | loss {loss} | lr {lr} | {tps} tok/s | ETA {eta_formatted}", stream: process.stderr, hideCursor: true },
        progress.Presets.shades_classic,
      );
  const steps = trainer.stepsPerEpoch(train);
  let epochStart = performance.now();
  trainLog?.begin();
  let tokensBefore = 0;
  try {
    await trainer.fit(train, {
      ...(validation ? { validation } : {}),
      onStep: (s) => {
        if (s.step === 1 || !bar?.isActive) bar?.start(steps, s.step - 1, { epoch: s.epoch, epochs: settings.epochs, loss: "-", lr: "-", tps: "-" });
        bar?.update(s.step, { epoch: s.epoch, loss: s.loss.toFixed(4), lr: rateText(s.lr), tps: Math.round(s.tokens / Math.max(1e-9, (performance.now() - epochStart) / 1000)) });
        trainLog?.update(s.loss, s.tokens - tokensBefore, s.epoch, (s.epoch - 1) * steps + s.step, s.lr);
        tokensBefore = s.tokens;
      },
      onEpoch: async (r) => {
        bar?.stop();
        tokensBefore = 0;
        trainLog?.epoch(r.epoch, r.epoch * steps, r.loss, r.validationLoss, r.lr, r.tokensPerSecond);
        good = (await capture()) ?? good;
        if (good && good.epoch === r.epoch && (interrupted || r.epoch === settings.epochs || performance.now() - lastSave > CHECKPOINT_SECONDS * 1000)) write(good);
        epochStart = performance.now();
        const every = Math.max(1, Math.ceil(settings.epochs / 20));
        if (r.epoch % every === 0 || r.epoch === settings.epochs || interrupted) {
          log(`epoch ${r.epoch}/${settings.epochs}  loss ${r.loss.toFixed(5)}${r.validationLoss !== undefined ? `  validation ${r.validationLoss.toFixed(5)}` : ""}  lr ${rateText(r.lr)}  ${Math.round(r.tokensPerSecond)} tok/s`);
        }
      },
      shouldStop: () => interrupted,
    });
  } catch (e) {
    bar?.stop();
    if (e instanceof NonFiniteLossError) {
      if (good && good !== written) write(good);
      const kept = written ? `The last good checkpoint (epoch ${written.epoch}${written.epoch === 0 ? ": the initial weights" : ""}) is in ${opts.out}` : `No checkpoint was written`;
      process.stderr.write(`seqc: ${e.message}; training stopped. ${kept}\nTry a smaller learning rate (--lr) or gradient clipping (--clip 5).\n`);
      unlock();
      return 1;
    }
    const { GroupedStatisticsError } = await import("../../backends/tfjs/exec.js");
    if (e instanceof GroupedStatisticsError) {
      process.stderr.write(`seqc: ${describeSource(e.src)}: ${e.message}\n`);
      unlock();
      return 1;
    }
    if (e instanceof LogWriteError) {
      // The weights are the user's work: saved where they are (--resume continues), then reported as any I/O error.
      await saveWhereItIs();
      unlock();
      throw new UserIoError(`${e.message}; training stopped, the weights so far are saved in ${opts.out}`);
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
  await saveWhereItIs();
  trainer.dispose();
  model.dispose();
  unlock();
  log(interrupted ? `seqc: interrupted; checkpoint saved in ${opts.out} (epoch ${trainer.epoch}${trainer.midEpoch ? ` and part of ${trainer.epoch + 1}` : ""}); continue with --resume` : `seqc: saved ${opts.out}`);
  return interrupted ? 130 : 0;
}

/**
 * The training data: text trained with truncated BPTT (and no --seq-length) as
 * streams (ReadOptions.streams), else cut into sequences.
 */
function loadTrainingData(
  data: typeof import("../../backends/tfjs/dataset.js"),
  path: string,
  graph: import("../../graph/graph.js").Graph,
  settings: TrainSettings,
  seqLength: number | undefined,
  extra: Pick<import("../../backends/tfjs/dataset.js").LoadOptions, "vocabularies">,
) {
  if (settings.bptt > 0 && seqLength === undefined && /\.txt$/i.test(path)) {
    return data.loadDataset(path, graph, { ...extra, streams: { bptt: settings.bptt, batch: settings.batch, validation: settings.validation } });
  }
  return data.loadDataset(path, graph, { ...extra, ...sequenceOptions(path, seqLength ?? (settings.bptt || DEFAULT_SEQUENCE)) });
}


/** Steps per training sequence cut from a text or a series when neither the spec (bptt) nor the command line says. */
const DEFAULT_SEQUENCE = 100;

/** Text and CSV are cut into sequences of at most `steps`. */
function sequenceOptions(path: string, steps: number): { seqLength?: number; window?: number } {
  if (/\.txt$/i.test(path)) return { seqLength: steps };
  if (/\.csv$/i.test(path)) return { window: steps };
  return {};
}

/**
 * The model directory can be written: it is (or can be made) a folder, and a
 * file can be created in it. Checked before training, so that a wrong -o
 * costs nothing.
 */
function checkWritableDir(dir: string): void {
  const probe = join(dir, `.seqc-write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EEXIST" || code === "ENOTDIR" ? "it or a folder above it is a file" : ioReason(e);
    throw new UserIoError(`cannot write the model directory ${dir}: ${why}`);
  }
}

/** `read` of a model directory a flag names: one that does not fit (a ModelFileError) is reported under the flag. */
function underFlag<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserIoError(`${flag}: ${e.message}`);
    throw e;
  }
}

/** The least time between two checkpoints. */
const CHECKPOINT_SECONDS = 2;
