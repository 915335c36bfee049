/**
 * The model directory of every target (src/runtime/model-dir.ts): written
 * atomically, read back weight for weight, and checked against the model it
 * is read for. Each mistake a directory can have is refused with a
 * ModelFileError (exit 2 in seqc and in emitted trainers) that names the
 * weight, dim or vocabulary, and so is a changed, non-finite or foreign
 * weights file. A save stopped at any file operation (node:fs is wrapped to
 * die at the n-th) leaves the previous model or the new one, never a mix.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { IoError } from "../../src/runtime/errors.js";
import type { ModelInfo } from "../../src/runtime/model-api.js";
import {
  checkModelFits,
  loadCheckpoint,
  loadModel,
  LOCK_FILE,
  lockModelDir,
  ModelFileError,
  modelWeights,
  saveModel,
  savedVocabularies,
  setModelWeights,
  type ModelFile,
  type ModelShape,
} from "../../src/runtime/model-dir.js";
import { writeAtomic } from "../../src/runtime/files.js";
import { DEFAULT_LR } from "../../src/runtime/settings.js";

/** File operations left before the process "dies" (each write, rename and removal counts); Infinity: no fault. */
const fault = vi.hoisted(() => ({ left: Infinity, ops: 0 }));
vi.mock("node:fs", async (real) => {
  const fs = await real<typeof import("node:fs")>();
  const op = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
    fault.ops++;
    if (--fault.left < 0) throw Object.assign(new Error("killed (fault injection)"), { code: "EKILLED" });
    return f(...a);
  };
  return { ...fs, writeFileSync: op(fs.writeFileSync), renameSync: op(fs.renameSync), rmSync: op(fs.rmSync) };
});

const tmp = mkdtempSync(join(tmpdir(), "seqc-model-dir-"));
const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `vocab chars[V]`, `dim H = 3`: an embedding [V, H] and a bias [H]. */
const MODEL: ModelShape = {
  name: "m",
  dims: [{ name: "V", multiple: 1 }, { name: "H", multiple: 1, value: 3 }],
  vocabs: [{ name: "chars", sizeDim: "V" }],
  params: [
    { name: "emb", shape: [[["V", 1]], [["H", 1]]] },
    { name: "b", shape: [[["H", 1]]] },
  ],
};

const SETTINGS = { optimizer: { name: "adam" as const, lr: DEFAULT_LR.adam, options: {} }, batch: 2, epochs: 1, clip: 0, weightDecay: 0, bptt: 0, seed: 1, validation: 0, patience: 0 };

let n = 0;
/** A fresh directory holding the model with V = 4, after `edit` changed its model.json (and maybe its weights). */
function dir(edit?: (meta: ModelFile, weights: Buffer) => Buffer | void): string {
  const d = join(tmp, `m${n++}`);
  const weights = new Map([
    ["emb", { shape: [4, 3], values: Float32Array.from({ length: 12 }, (_, i) => i) }],
    ["b", { shape: [3], values: Float32Array.of(0.5, -1, 2) }],
  ]);
  saveModel(d, { spec: { file: "m.seq", source: "model m {}" }, model: "m", dims: { V: 4, H: 3 }, vocabularies: { chars: { tokens: ["a", "b", "<unk>", "<eos>"], unk: "<unk>", eos: "<eos>" } }, settings: SETTINGS, trained: { epochs: 1, seed: 1 } }, weights);
  if (edit) {
    const meta = JSON.parse(readFileSync(join(d, "model.json"), "utf8")) as ModelFile;
    const changed = edit(meta, readFileSync(join(d, "weights.bin")));
    // The edit is the model's own (the checksum follows it): these tests are about fitting the model.
    if (changed) meta.trained.checksums!["weights.bin"] = sha256(changed);
    writeFileSync(join(d, "model.json"), JSON.stringify(meta));
    if (changed) writeFileSync(join(d, "weights.bin"), changed);
  }
  return d;
}

/** The error reading `d` for MODEL gives. */
function refusal(d: string): Error {
  try {
    checkModelFits(loadModel(d), MODEL, d);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFileError);
    expect(e).toBeInstanceOf(IoError);
    return e as Error;
  }
  throw new Error(`${d} was read without complaint`);
}

const manifest = (m: ModelFile) => m.weightsManifest[0]!.weights;

describe("a model directory", () => {
  it("round-trips its weights (float32, manifest order) and vocabularies, and leaves no temporary file", () => {
    const d = dir();
    const saved = loadModel(d);
    checkModelFits(saved, MODEL, d);
    expect([...saved.weights.keys()]).toEqual(["emb", "b"]);
    expect(Array.from(saved.weights.get("b")!.values)).toEqual([0.5, -1, 2]);
    expect(savedVocabularies(saved, d)["chars"]!.tokens).toEqual(["a", "b", "<unk>", "<eos>"]);
    expect(readdirSync(d).sort()).toEqual(["model.json", "weights.bin"]);
  });

  it("carries an emitted model's parameters by name, whatever its layout order", () => {
    const info = { params: [{ name: "emb" }, { name: "b" }] } as unknown as ModelInfo;
    const layout = { b: { offset: 0, size: 3, shape: [3] }, emb: { offset: 3, size: 12, shape: [4, 3] } };
    const params = Float64Array.from({ length: 15 }, (_, i) => i / 4);
    const w = modelWeights(info, layout, params);
    expect([...w.keys()]).toEqual(["emb", "b"]);
    const back = new Float64Array(15);
    setModelWeights(info, layout, back, { meta: {} as ModelFile, weights: w }, "d");
    expect(Array.from(back)).toEqual(Array.from(params));
  });
});

describe("a model directory that does not fit its model is refused, naming what does not fit", () => {
  it("a transposed weight", () => {
    const d = dir((m) => {
      manifest(m)[0]!.shape = [3, 4];
    });
    expect(refusal(d).message).toBe(`${d}: the weight emb is [3, 4], but model m has it [4, 3]`);
  });

  it("a missing weight", () => {
    const d = dir((m, w) => {
      manifest(m).splice(0, 1);
      return w.subarray(48);
    });
    expect(refusal(d).message).toBe(`${d}: the weights have no emb, a parameter of model m`);
  });

  it("an extra weight", () => {
    const d = dir((m, w) => {
      manifest(m).push({ name: "emb2", shape: [1], dtype: "float32" });
      return Buffer.concat([w, Buffer.alloc(4)]);
    });
    expect(refusal(d).message).toBe(`${d}: the weights hold emb2, which model m does not have (its parameters: emb, b)`);
  });

  it("a missing dim", () => {
    const d = dir((m) => {
      delete m.dims["V"];
    });
    expect(refusal(d).message).toBe(`${d}: model.json gives no value for V, a dim of emb`);
  });

  it("a missing vocabulary", () => {
    const d = dir((m) => {
      m.vocabularies = {};
    });
    expect(refusal(d).message).toBe(`${d}: model.json has no vocabulary chars (model m builds it from the data)`);
  });

  it("a weight of another dtype", () => {
    const d = dir((m) => {
      (manifest(m)[1] as { dtype: string }).dtype = "int32";
    });
    expect(refusal(d).message).toBe(`${join(d, "model.json")}: the weight b has dtype int32; seqc saves and reads float32 weights only`);
  });

  it("truncated weights, another model, and no model at all", () => {
    const short = dir((_, w) => w.subarray(0, 20));
    expect(refusal(short).message).toMatch(/weights\.bin is shorter than its manifest/);
    const other = dir((m) => {
      m.model = "n";
    });
    expect(refusal(other).message).toBe(`${other}: it holds model n, not m`);
    expect(refusal(join(tmp, "nowhere")).message).toMatch(/cannot read .*nowhere\/model\.json: no such file \(is it a model directory\?\)/);
  });
});

describe("writing", () => {
  it("a failed write is an IoError naming the file, and leaves nothing behind", () => {
    const path = join(tmp, "no", "such", "folder", "model.json");
    expect(() => writeAtomic(path, "{}")).toThrow(IoError);
    expect(() => writeAtomic(path, "{}")).toThrow(`cannot write ${path}: no such folder`);
  });

  it("a checkpoint's files are checksummed: a changed one is refused on resume", () => {
    const d = join(tmp, "ckpt");
    const weights = new Map([["b", { shape: [3], values: Float32Array.of(1, 2, 3) }]]);
    const state = { progress: { epoch: 1 }, optimizer: { name: "adam", iterations: 7 }, tensors: new Map([["b.m", { shape: [3], values: Float32Array.of(0, 0, 1) }]]) };
    saveModel(d, { spec: { file: "m.seq", source: "" }, model: "m", dims: { H: 3 }, vocabularies: {}, settings: SETTINGS, trained: { epochs: 1, seed: 1 } }, weights, state);
    expect(loadCheckpoint(d).state.optimizer.iterations).toBe(7);
    writeFileSync(join(d, "optimizer.bin"), Buffer.alloc(12));
    expect(() => loadCheckpoint(d)).toThrow(/optimizer\.bin does not match .*model\.json \(the file was changed or damaged after it was saved\)/);
  });
});

describe("damaged or hostile directories are refused before any number is computed", () => {
  it("a flipped bit in weights.bin (an exponent, a mantissa, a NaN): the checksum in model.json", () => {
    for (const [byte, bit] of [[3, 6], [0, 0], [47, 7]] as const) {
      const d = dir();
      const w = readFileSync(join(d, "weights.bin"));
      w[byte]! ^= 1 << bit;
      writeFileSync(join(d, "weights.bin"), w);
      expect(refusal(d).message).toBe(`${join(d, "weights.bin")} does not match the checksum in ${join(d, "model.json")}: the file was changed or damaged after it was saved`);
    }
  });

  it("a non-finite weight (even with a matching checksum), named with its element", () => {
    const d = dir((_, w) => {
      const f = new Float32Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength));
      f[13] = Number.NaN;
      return Buffer.from(f.buffer);
    });
    expect(refusal(d).message).toBe(`${join(d, "weights.bin")}: the weight b holds NaN at element 1: a model's weights must be finite numbers`);
    const inf = dir((_, w) => {
      const f = new Float32Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength));
      f[0] = Number.POSITIVE_INFINITY;
      return Buffer.from(f.buffer);
    });
    expect(refusal(inf).message).toMatch(/the weight emb holds Infinity at element 0/);
  });

  it("a manifest naming a file outside the directory", () => {
    for (const p of ["../../../etc/passwd", "/etc/passwd", "sub/weights.bin", ".."]) {
      const d = dir((m) => {
        m.weightsManifest[0]!.paths = [p];
      });
      expect(refusal(d).message).toBe(`${join(d, "model.json")}: the weights file ${JSON.stringify(p)} is not a file name in the model directory`);
    }
  });

  it("model.json of the wrong form: null, an array, a field of the wrong type", () => {
    const d = dir();
    for (const [text, want] of [
      ["null", "is not a seqc model file (not a JSON object)"],
      ["[1]", "is not a seqc model file (not a JSON object)"],
    ] as const) {
      writeFileSync(join(d, "model.json"), text);
      expect(refusal(d).message).toBe(`${join(d, "model.json")} ${want}`);
    }
    const bad = dir((m) => {
      (m as unknown as { dims: unknown }).dims = { V: "4" };
    });
    expect(refusal(bad).message).toBe(`${join(bad, "model.json")}: dims must be an object of whole numbers > 0`);
  });
});

describe("a save is all or nothing", () => {
  const META = { spec: { file: "m.seq", source: "" }, model: "m", dims: { H: 3 }, vocabularies: {}, settings: SETTINGS };
  const save = (d: string, k: number) =>
    saveModel(d, { ...META, trained: { epochs: k, seed: 1 } }, new Map([["b", { shape: [3], values: Float32Array.of(k, k, k) }]]), {
      progress: { epoch: k },
      optimizer: { name: "adam", iterations: 10 * k },
      tensors: new Map([["b.m", { shape: [3], values: Float32Array.of(-k, -k, -k) }]]),
    });
  /** The checkpoint in d: which save it is, checking that its parts agree. */
  const which = (d: string): number => {
    const c = loadCheckpoint(d);
    const k = c.meta.trained.epochs;
    expect(Array.from(c.weights.get("b")!.values)).toEqual([k, k, k]);
    expect(c.state.optimizer.iterations).toBe(10 * k);
    expect(Array.from(c.state.tensors.get("b.m")!.values)).toEqual([-k, -k, -k]);
    return k;
  };

  it("stopped at every file operation of a save over a checkpoint: the old checkpoint or the new, which the next save replaces", () => {
    fault.ops = 0;
    save(join(tmp, "count"), 1);
    const ops = fault.ops;
    expect(ops).toBeGreaterThan(8);
    const seen = new Set<number>();
    for (let k = 0; k < ops; k++) {
      const d = join(tmp, `kill${k}`);
      save(d, 1);
      fault.left = k;
      expect(() => save(d, 2)).toThrow();
      fault.left = Infinity;
      const got = which(d);
      seen.add(got);
      expect([1, 2]).toContain(got);
      save(d, 3);
      expect(which(d)).toBe(3);
      expect(readdirSync(d).sort()).toEqual(["model.json", "optimizer.bin", "optimizer.json", "weights.bin"]);
    }
    // Early deaths keep the old one, late ones have decided for the new one.
    expect([...seen].sort()).toEqual([1, 2]);
  });

  it("a save without a trainer state removes the old one; stopped anywhere, what is read is whole", () => {
    fault.ops = 0;
    const plain = (d: string) => saveModel(d, { ...META, trained: { epochs: 9, seed: 1 } }, new Map([["b", { shape: [3], values: Float32Array.of(9, 9, 9) }]]));
    save(join(tmp, "count2"), 1);
    fault.ops = 0;
    plain(join(tmp, "count2"));
    const ops = fault.ops;
    for (let k = 0; k < ops; k++) {
      const d = join(tmp, `plain${k}`);
      save(d, 1);
      fault.left = k;
      expect(() => plain(d)).toThrow();
      fault.left = Infinity;
      const m = loadModel(d);
      const e = m.meta.trained.epochs;
      expect(Array.from(m.weights.get("b")!.values)).toEqual([e, e, e]);
      if (e === 1) expect(which(d)).toBe(1);
    }
    const d = join(tmp, "plain-done");
    save(d, 1);
    plain(d);
    expect(readdirSync(d).sort()).toEqual(["model.json", "weights.bin"]);
    expect(() => loadCheckpoint(d)).toThrow(/no training state to resume from/);
  });
});

describe("one training run writes a model directory at a time", () => {
  it("a lock of a running process is refused, naming it; a gone process's is taken over; releasing removes it", () => {
    const d = join(tmp, "locked");
    const release = lockModelDir(d);
    expect(readFileSync(join(d, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
    release();
    expect(readdirSync(d)).toEqual([]);
    // Another run that is going: the parent of this test process.
    writeFileSync(join(d, LOCK_FILE), `${process.ppid}\n`);
    expect(() => lockModelDir(d)).toThrow(IoError);
    expect(() => lockModelDir(d)).toThrow(`${d} is being written by another training run (process ${process.ppid}): wait for it to end, or choose another output directory (if no such run is going, remove ${join(d, LOCK_FILE)})`);
    // A run that was killed: its process is gone.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
    writeFileSync(join(d, LOCK_FILE), `${gone}\n`);
    const again = lockModelDir(d);
    expect(readFileSync(join(d, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
    again();
    // Garbage in the lock file is no run.
    writeFileSync(join(d, LOCK_FILE), "not a pid");
    lockModelDir(d)();
    expect(readdirSync(d)).toEqual([]);
  });
});
