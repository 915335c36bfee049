/**
 * seqc's runtime for a trainer in another language (the pytorch target's
 * train.py runs it with Node as `node seqc_node/bridge.js COMMAND ...`), so
 * that what must be the same in every target is written once:
 *
 *   data INFO DATA OUT [--model DIR] [--eval] [--seq-length N] [--bptt N --batch N --validation F --seed N]
 *        reads DATA as the ts trainer does (JSONL, text, CSV; the spec's, DIR's or the data's
 *        vocabularies) and writes OUT.json (vocabularies, dims, free dims, each example's
 *        lengths, the training and validation examples) and OUT.bin (each field's values,
 *        examples concatenated: int32 token ids, float32 numbers)
 *   init INFO DIMS SEED OUT
 *        the parameters' initial values for a seed (src/runtime/init.ts: the draws of the other
 *        targets), float64 in INFO's order, at the dims of the JSON object DIMS
 *   save INFO DIR META WEIGHTS [STATE STATE_BIN]
 *        a model directory (src/runtime/model-dir.ts: atomic, checksummed) of float32 WEIGHTS in
 *        INFO's order and META {dims, vocabularies, settings, epochs}; with STATE {progress,
 *        optimizer: {name, iterations}, tensors: [{name, shape}]} and STATE_BIN (those tensors,
 *        float32), a training checkpoint (optimizer.json, optimizer.bin) for --resume
 *   prime INFO DIR TEXT OUT
 *        a prime text as token ids of the feedback input's saved vocabulary, and that vocabulary
 *   schedule INFO TEXT OUT
 *        a learning-rate schedule as written on the command line (--lr-schedule TEXT), parsed
 *        by settings.ts parseSchedule: OUT holds its JSON ({name, options})
 *   log INFO FILE [--append]
 *        the training log (train-log.ts TrainLog, as the other trainers write it): opens FILE
 *        (emptied unless --append), prints "ready", then takes one JSON message a line on stdin
 *        until it closes: {"begin": MS}, {"update": [loss, tokens, epoch, step, lr], "now": MS},
 *        {"epoch": [epoch, step, loss, validationLoss or null, lr, tokensPerSecond], "now": MS},
 *        times in milliseconds on the trainer's clock
 *   load INFO DIR OUT [--checkpoint]
 *        a model directory checked against the model: OUT.json {dims, vocabularies, epochs,
 *        settings, shapes} and OUT.bin (float32 weights in INFO's order); with --checkpoint, a
 *        training checkpoint of this spec's model (loadCheckpoint), its trainer state in
 *        OUT.json's `state` {progress, optimizer, tensors: [{name, shape}]} and OUT.state.bin
 *
 * Exit codes as the trainers': 1 bad data, 2 usage or I/O error (one line on stderr).
 * Runtime file: imports only its siblings and Node built-ins.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { DimTable } from "./dims.js";
import { IoError, UsageError } from "./errors.js";
import { initialValues, paramSeed, Rng } from "./init.js";
import type { ModelInfo } from "./model-api.js";
import { checkHasCheckpoint, checkResumable, loadCheckpoint, ModelFileError, saveModel, type SavedTrainerState } from "./model-dir.js";
import { DataError } from "./problems.js";
import { dataModelOf, loadData, resolveVocabularies, type DataSet } from "./data.js";
import { EVAL_SEQUENCE, loadTrainingData, readModelDir, savedDims } from "./trainer.js";
import { maxDims, validationSplit } from "./batches.js";
import { num, parseArgs, str } from "./args.js";
import { textIds, Vocabulary } from "./vocab.js";
import { writeAtomic } from "./files.js";
import { TrainLog } from "./train-log.js";
import { parseSchedule, type LrSchedule, type TrainSettings } from "./settings.js";

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (e) {
    throw new IoError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Arrays one after another in one array of type `Out` (values converted as `set` converts them). */
function joined<Out extends Int32Array | Float32Array | Float64Array | Uint8Array>(parts: readonly ArrayLike<number>[], Out: new (n: number) => Out): Out {
  const out = new Out(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The shape of every parameter at some dims, in INFO's order. */
function shapes(info: ModelInfo, dims: Record<string, number>): number[][] {
  const table = new DimTable(info.dims, info.vocabs);
  const units = table.unitsOf(dims);
  return info.params.map((p) =>
    p.shape.map((d) => {
      const v = table.evaluate(d, units);
      if (v === undefined) throw new UsageError(`no value of a dim of ${p.name}`);
      return v;
    }),
  );
}

function data(info: ModelInfo, argv: string[]): void {
  const [dataPath, out, ...rest] = argv;
  if (dataPath === undefined || out === undefined) throw new UsageError("data needs DATA OUT");
  const a = parseArgs(rest, { model: "string", eval: "flag", "seq-length": "int", bptt: "int", batch: "int", validation: "number", seed: "int" });
  const dir = str(a, "model");
  const loaded = dir !== undefined ? readModelDir(dir, info) : undefined;
  let set: DataSet;
  let train: number[];
  let validation: number[] = [];
  if (a.values.get("eval") === true) {
    set = loadData(dataPath, dataModelOf(info), { vocabularies: loaded?.vocabs ?? {}, seqLength: EVAL_SEQUENCE, window: EVAL_SEQUENCE, floats: "f32" });
    train = Array.from({ length: set.examples.length }, (_, i) => i);
  } else {
    const s: TrainSettings = { ...info.settings, bptt: num(a, "bptt") ?? info.settings.bptt, batch: num(a, "batch") ?? info.settings.batch, validation: num(a, "validation") ?? info.settings.validation, seed: num(a, "seed") ?? info.settings.seed };
    set = loadTrainingData(dataPath, { ...info, precision: "f32" }, s, num(a, "seq-length"), loaded?.vocabs);
    // The held-out examples of the ts trainer for this seed (its split uses validationSplit).
    ({ train, validation } = validationSplit(set.examples.length, s.validation, s.seed));
  }
  if (set.examples.length === 0) throw new DataError(dataPath, [{ message: "no examples: the data is shorter than one sequence" }], 0, info.name);
  const ex = set.examples;
  const table = new DimTable(info.dims, info.vocabs);
  const free = maxDims(ex, set.freeDims);
  const chunks: Uint8Array[] = [];
  const fields: Record<string, { dtype: string; offset: number; length: number; sizes: number[] }> = {};
  let offset = 0;
  for (const f of info.fields) {
    const parts = Array.from({ length: ex.length }, (_, i) => ex.field(f.name, i));
    const buf = f.dtype === "int32" ? joined(parts, Int32Array) : joined(parts, Float32Array);
    chunks.push(new Uint8Array(buf.buffer));
    fields[f.name] = { dtype: f.dtype, offset, length: buf.length, sizes: parts.map((p) => p.length) };
    offset += buf.byteLength;
  }
  const bin = joined(chunks, Uint8Array);
  const vocabularies = Object.fromEntries(Object.entries(set.vocabs).map(([name, v]) => [name, v.toJSON()]));
  const header = {
    examples: ex.length,
    freeDims: set.freeDims,
    lengths: Object.fromEntries(set.freeDims.map((d) => [d, Array.from({ length: ex.length }, (_, i) => ex.dim(d, i) ?? 0)])),
    fields,
    vocabularies,
    vocabDims: table.vocabSizes(set.vocabs),
    dims: savedDims(info, table, set.vocabs, free),
    train,
    validation,
  };
  writeFileSync(`${out}.bin`, bin);
  writeFileSync(`${out}.json`, JSON.stringify(header));
}

function init(info: ModelInfo, argv: string[]): void {
  const [dimsJson, seedText, out] = argv;
  if (dimsJson === undefined || seedText === undefined || out === undefined) throw new UsageError("init needs DIMS SEED OUT");
  const dims = JSON.parse(dimsJson) as Record<string, number>;
  const seed = Number(seedText);
  const all = shapes(info, dims);
  const values = info.params.map((p, i) => initialValues(p.init, all[i]!, new Rng(paramSeed(seed, p.name))));
  writeFileSync(out, new Uint8Array(joined(values, Float64Array).buffer));
}

/** Named float32 tensors from a list of {name, shape} and their values one after another. */
function tensorsOf(entries: { name: string; shape: number[] }[], flat: Float32Array): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let at = 0;
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    out.set(e.name, { shape: e.shape, values: flat.slice(at, at + n) });
    at += n;
  }
  if (at !== flat.length) throw new UsageError(`${flat.length} values given for tensors of ${at}`);
  return out;
}

function readFloats(path: string): Float32Array {
  const raw = readFileSync(path);
  return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
}

function save(info: ModelInfo, argv: string[]): void {
  const [dir, metaPath, weightsPath, statePath, stateBin] = argv;
  if (dir === undefined || metaPath === undefined || weightsPath === undefined) throw new UsageError("save needs DIR META WEIGHTS");
  const meta = readJson<{ dims: Record<string, number>; vocabularies: Record<string, unknown>; settings: TrainSettings; epochs: number }>(metaPath, "the model's metadata");
  const all = shapes(info, meta.dims);
  const weights = tensorsOf(info.params.map((p, i) => ({ name: p.name, shape: all[i]! })), readFloats(weightsPath));
  let state: SavedTrainerState | undefined;
  if (statePath !== undefined && stateBin !== undefined) {
    const st = readJson<Omit<SavedTrainerState, "tensors"> & { tensors: { name: string; shape: number[] }[] }>(statePath, "the trainer's state");
    state = { progress: st.progress, optimizer: st.optimizer, tensors: tensorsOf(st.tensors, readFloats(stateBin)) };
  }
  const vocabularies = Object.fromEntries(Object.entries(meta.vocabularies).map(([k, v]) => [k, Vocabulary.fromJSON(v as never, k).toJSON()]));
  saveModel(dir, { spec: info.spec, model: info.name, dims: meta.dims, vocabularies, settings: meta.settings, trained: { epochs: meta.epochs, seed: meta.settings.seed } }, weights, state);
}

function load(info: ModelInfo, argv: string[]): void {
  const [dir, out, flag] = argv;
  if (dir === undefined || out === undefined) throw new UsageError("load needs DIR OUT");
  let checkpoint: ReturnType<typeof loadCheckpoint> | undefined;
  if (flag === "--checkpoint") {
    // As seqc train --resume checks it: this spec's model, with a trainer's state.
    checkHasCheckpoint(dir);
    try {
      checkpoint = loadCheckpoint(dir);
    } catch (e) {
      if (e instanceof ModelFileError) throw new IoError(`--resume: ${e.message}`);
      throw e;
    }
    checkResumable(checkpoint.meta, dir, info.name, info.spec);
  }
  const { saved, vocabs } = readModelDir(dir, info);
  const parts = info.params.map((p) => saved.weights.get(p.name)!);
  const flat = joined(parts.map((w) => w.values), Float32Array);
  const table = new DimTable(info.dims, info.vocabs);
  writeAtomic(`${out}.bin`, new Uint8Array(flat.buffer));
  writeFileSync(
    `${out}.json`,
    JSON.stringify({
      dims: saved.meta.dims,
      vocabDims: table.vocabSizes(vocabs),
      vocabularies: Object.fromEntries(Object.entries(vocabs).map(([k, v]) => [k, v.toJSON()])),
      epochs: saved.meta.trained?.epochs ?? 0,
      settings: saved.meta.settings,
      shapes: parts.map((w) => w.shape),
      ...(checkpoint ? { state: { progress: checkpoint.state.progress, optimizer: checkpoint.state.optimizer, tensors: [...checkpoint.state.tensors].map(([name, t]) => ({ name, shape: t.shape })) } } : {}),
    }),
  );
  if (checkpoint) writeFileSync(`${out}.state.bin`, new Uint8Array(joined([...checkpoint.state.tensors.values()].map((t) => t.values), Float32Array).buffer));
}

/** A prime text as token ids of the feedback input's vocabulary saved in DIR (the ts trainer's rule, textIds), and the vocabulary. */
function prime(info: ModelInfo, argv: string[]): void {
  const [dir, text, out] = argv;
  if (dir === undefined || text === undefined || out === undefined) throw new UsageError("prime needs DIR TEXT OUT");
  const fb = info.feedback;
  if (!fb) throw new UsageError(`model ${info.name} has no \`feedback x from logits\`: nothing says how to generate`);
  const input = info.fields.find((f) => f.name === fb.input);
  const { vocabs } = readModelDir(dir, info);
  const resolved = resolveVocabularies(info.vocabs, vocabs);
  const vocab = input?.vocab !== undefined ? resolved.get(input.vocab) : undefined;
  if (!vocab) throw new IoError(`no vocabulary of ${fb.input} saved in ${dir}`);
  let ids: number[];
  try {
    ids = textIds(vocab, text, "--prime");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const until = fb.until !== undefined && vocab.has(fb.until) ? vocab.id(fb.until) : null;
  writeFileSync(out, JSON.stringify({ ids, tokens: vocab.tokens, chars: vocab.isChars, eos: vocab.eos !== undefined ? vocab.eosId : null, bos: vocab.has("<bos>") ? vocab.id("<bos>") : null, until }));
}

function schedule(_info: ModelInfo, argv: string[]): void {
  const [text, out] = argv;
  if (text === undefined || out === undefined) throw new UsageError("schedule needs TEXT OUT");
  let parsed: LrSchedule;
  try {
    parsed = parseSchedule(text);
  } catch (e) {
    throw new UsageError(`--lr-schedule ${text}: ${(e as Error).message}`);
  }
  writeFileSync(out, JSON.stringify(parsed));
}

type LogMessage =
  | { begin: number }
  | { update: [loss: number, tokens: number, epoch: number, step: number, lr: number]; now: number }
  | { epoch: [epoch: number, step: number, loss: number, validationLoss: number | null, lr: number, tokensPerSecond: number]; now: number };

async function log(_info: ModelInfo, argv: string[]): Promise<void> {
  const [path, ...rest] = argv;
  if (path === undefined) throw new UsageError("log needs FILE");
  const trainLog = TrainLog.open(path, rest.includes("--append"));
  process.stdout.write("ready\n");
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    const m = JSON.parse(line) as LogMessage;
    if ("begin" in m) trainLog.begin(m.begin);
    else if ("update" in m) trainLog.update(...m.update, m.now);
    else {
      const [epoch, step, loss, validation, lr, tokensPerSecond] = m.epoch;
      trainLog.epoch(epoch, step, loss, validation ?? undefined, lr, tokensPerSecond, m.now);
    }
  }
}

const COMMANDS: Record<string, (info: ModelInfo, argv: string[]) => void | Promise<void>> = { data, init, save, load, prime, schedule, log };

/** Runs one command; resolves to the exit code (messages on stderr, prefixed with `prog`). */
export async function bridge(argv: string[], prog = "train.py"): Promise<number> {
  const [command, infoPath, ...rest] = argv;
  try {
    const run = command !== undefined ? COMMANDS[command] : undefined;
    if (!run || infoPath === undefined) throw new UsageError(`bridge: COMMAND INFO ... (${Object.keys(COMMANDS).join(", ")})`);
    await run(readJson<ModelInfo>(infoPath, "the model's info"), rest);
    return 0;
  } catch (e) {
    if (e instanceof DataError) {
      process.stderr.write(`${prog}: ${e.message}\n`);
      return 1;
    }
    if (e instanceof UsageError || e instanceof IoError) {
      process.stderr.write(`${prog}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (process.argv[1] !== undefined && /bridge\.[jt]s$/.test(process.argv[1])) void bridge(process.argv.slice(2)).then((code) => (process.exitCode = code));
