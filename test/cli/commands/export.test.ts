/**
 * `seqc export` and `seqc import-weights` end to end: mlp_xor trained with the
 * real CLI, exported in-process with runExport (the command is not registered
 * yet), loaded with tf.loadLayersModel: the same predictions as `seqc
 * predict`; imported back with runImportWeights: `seqc predict` prints the
 * same as for the trained model. Exit codes: 1 for a construct without a
 * tfjs-layers counterpart, 2 (UserIoError) for unreadable directories.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { saveModel } from "../../../src/runtime/model-dir.js";
import { loadEngine } from "../../../src/backends/tfjs/engine.js";
import { loadLayersModel } from "../../../src/backends/tfjs/export.js";
import { UserIoError } from "../../../src/cli/io.js";
import { runExport, runImportWeights } from "../../../src/cli/commands/export.js";
import { seqc } from "../../helpers/cli.js";
import { graphOf } from "../../helpers/spec.js";

const out = mkdtempSync(join(tmpdir(), "seqc-export-cli-"));


/** `seqc predict` lines: the input's label and the output (rounded to 4 digits). */
function predictions(stdout: string): { x: number[]; p: number[] }[] {
  return stdout.trim().split("\n").map((line) => {
    const [x, p] = line.split("\t");
    return { x: JSON.parse(x!) as number[], p: (JSON.parse(p!) as number[]).flat() };
  });
}

/** Runs a command in-process, capturing what it writes to stderr. */
async function quietly<T>(f: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { value: await f(), stderr };
  } finally {
    spy.mockRestore();
  }
}

/** The prediction p of a saved mlp_xor model on rows x, run in-process by seqc's TfModel. */
async function seqcValues(dir: string, rows: number[][]): Promise<number[]> {
  const [{ loadModel }, { TfModel }] = await Promise.all([import("../../../src/runtime/model-dir.js"), import("../../../src/backends/tfjs/exec.js")]);
  const saved = loadModel(dir);
  const graph = graphOf(saved.meta.spec.source);
  const engine = await loadEngine("cpu");
  const m = new TfModel(graph, engine, saved.meta.dims, 0);
  m.setWeights(Object.fromEntries([...saved.weights].map(([k, v]) => [k, v.values])));
  const x = engine.tf.tensor2d(rows);
  const y = engine.tf.zeros([rows.length, 1]);
  const p = m.forward({ x, y }, {}).values.get(graph.values["p"]!)!;
  const out = Array.from(p.dataSync());
  engine.tf.dispose([x, y, p]);
  m.dispose();
  return out;
}

const human = { format: "human" as const, color: false };

beforeAll(async () => {
  await loadEngine("cpu");
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("seqc export --to tfjs-layers / import-weights", () => {
  it("mlp_xor: the exported model predicts what seqc predict prints; importing it back predicts the same", async () => {
    const model = join(out, "xor");
    seqc("train", "specs/mlp_xor.seq", "--data", "specs/data/xor.jsonl", "-o", model, "--epochs", "200", "--backend", "cpu", "-q");
    const ours = predictions(seqc("predict", model, "--data", "specs/data/xor.jsonl", "--backend", "cpu"));
    expect(ours).toHaveLength(4);

    const layersDir = join(out, "xor-layers");
    const { value: code, stderr } = await quietly(() => runExport(model, { ...human, to: "tfjs-layers", out: layersDir }));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/exported mlp_xor to .*xor-layers as a tfjs-layers model: h_dense \(Dense\), h_sigmoid \(Activation\), p_dense \(Dense\), p_sigmoid \(Activation\)/);
    const meta = JSON.parse(readFileSync(join(layersDir, "model.json"), "utf8")) as { userDefinedMetadata: { seqc: { model: string } } };
    expect(meta.userDefinedMetadata.seqc.model).toBe("mlp_xor");

    const loaded = await loadLayersModel(layersDir);
    const { tensor2d } = await import("@tensorflow/tfjs");
    const theirs = loaded.predict(tensor2d(ours.map((r) => r.x))) as import("@tensorflow/tfjs").Tensor;
    const values = Array.from(theirs.dataSync());
    let diff = 0;
    ours.forEach((r, i) => (diff = Math.max(diff, Math.abs(r.p[0]! - values[i]!))));
    console.log(`export: max |seqc predict (4 digits) - tfjs-layers| on xor: ${diff.toExponential(2)}`);
    expect(diff).toBeLessThanOrEqual(5e-5 + 1e-7); // predict prints 4 digits
    // Unrounded: seqc's TfModel on the saved model against the loaded layers model.
    const exact = await seqcValues(model, ours.map((r) => r.x));
    let exactDiff = 0;
    exact.forEach((v, i) => (exactDiff = Math.max(exactDiff, Math.abs(v - values[i]!))));
    console.log(`export: max |seqc TfModel - tfjs-layers| on xor: ${exactDiff.toExponential(2)}`);
    expect(exactDiff).toBeLessThanOrEqual(1e-6);
    theirs.dispose();
    loaded.dispose();

    const back = join(out, "xor-back");
    const imported = await quietly(() => runImportWeights("specs/mlp_xor.seq", layersDir, { ...human, out: back }));
    expect(imported.value, imported.stderr).toBe(0);
    expect(seqc("predict", back, "--data", "specs/data/xor.jsonl", "--backend", "cpu")).toBe(seqc("predict", model, "--data", "specs/data/xor.jsonl", "--backend", "cpu"));
    const original = readFileSync(join(model, "weights.bin"));
    expect(Buffer.compare(readFileSync(join(back, "weights.bin")), original)).toBe(0);
  });

  it("exit 1 with the construct and its place; 2 for unreadable directories", async () => {
    const spec = "model m {\n  dim T = 4\n  input x: [T, 2]\n  target y: [T, 3]\n  h = reverse elman<3>(x)\n  loss mse(h, y)\n}\n";
    const dir = join(out, "reverse");
    saveModel(
      dir,
      {
        spec: { file: "rev.seq", source: spec },
        model: "m",
        dims: {},
        vocabularies: {},
        settings: {} as never,
        trained: { epochs: 0, seed: 1 },
      },
      new Map([
        ["h.W", { shape: [3, 2], values: new Float32Array(6) }],
        ["h.U", { shape: [3, 3], values: new Float32Array(9) }],
        ["h.b", { shape: [3], values: new Float32Array(3) }],
      ]),
    );
    const r = await quietly(() => runExport(dir, { ...human, to: "tfjs-layers", out: join(out, "reverse-layers") }));
    expect(r.value).toBe(1);
    expect(r.stderr).toMatch(/^error: rev\.seq:5:7: cannot export to tfjs-layers: reverse elman h: /);
    expect(existsSync(join(out, "reverse-layers"))).toBe(false);

    await expect(runExport(join(out, "nowhere"), { ...human, to: "tfjs-layers", out: join(out, "x") })).rejects.toBeInstanceOf(UserIoError);
    await expect(runImportWeights("specs/mlp_xor.seq", join(out, "nowhere"), { ...human, out: join(out, "y") })).rejects.toThrow(/cannot read the tfjs-layers model in .*nowhere/);
    // A layers model of another architecture: exit 1, nothing written.
    const wrong = await quietly(() => runImportWeights("specs/ab_recognizer.seq", join(out, "xor-layers"), { ...human, out: join(out, "z") }));
    expect(wrong.value).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*xor-layers does not fit specs\/ab_recognizer\.seq: /);
    expect(existsSync(join(out, "z"))).toBe(false);
  });
});
