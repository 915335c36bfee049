/**
 * src/cli/reopen.ts through the real command line: a model directory that
 * does not fit its model is refused, with the weight
 * (or dim, or vocabulary) named, by every command that reads one: eval here
 * (predict, sample and export reopen it the same way, src/cli/reopen.ts) and
 * train --resume. Each case edits a copy of a freshly trained directory.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ModelFile } from "../../src/runtime/model-dir.js";
import { runSeqc, type Run } from "../helpers/cli.js";

const out = mkdtempSync(join(tmpdir(), "seqc-dir-"));
const spec = join(out, "tiny.seq");
const text = join(out, "text.txt");
const trained = join(out, "trained");

/** `seqc ARGS` (runSeqc fails the test on a stack trace or an internal error). */
const seqc = (...args: string[]): Run => runSeqc(args);

beforeAll(() => {
  writeFileSync(
    spec,
    `model tiny {
  vocab chars[V]
  dim T
  input x: [T] of chars
  target y: [T] of chars
  h = elman<3>(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}
`,
  );
  writeFileSync(text, "hello world, hello seqc\n");
  const r = seqc("train", spec, "--data", text, "-o", trained, "--epochs", "1", "--backend", "cpu", "-q");
  expect(r.status, r.stderr).toBe(0);
});

/** A copy of the trained directory with model.json (and the weights) edited. */
function edited(name: string, edit: (meta: ModelFile, weights: Buffer) => Buffer | void): string {
  const dir = join(out, name);
  cpSync(trained, dir, { recursive: true });
  const meta = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelFile;
  const weights = readFileSync(join(dir, "weights.bin"));
  const changed = edit(meta, weights);
  // The edit is the model's own (its checksum follows): these cases are about fitting the model.
  if (changed) meta.trained.checksums!["weights.bin"] = createHash("sha256").update(changed).digest("hex");
  writeFileSync(join(dir, "model.json"), JSON.stringify(meta));
  if (changed) writeFileSync(join(dir, "weights.bin"), changed);
  return dir;
}

const entries = (m: ModelFile) => m.weightsManifest[0]!.weights;

describe("a damaged weights file", () => {
  it("one flipped bit: eval, predict, sample and export refuse it (exit 2, the checksum), before computing anything", () => {
    const dir = join(out, "flipped");
    cpSync(trained, dir, { recursive: true });
    const w = readFileSync(join(dir, "weights.bin"));
    w[5]! ^= 0x40;
    writeFileSync(join(dir, "weights.bin"), w);
    for (const args of [["eval", dir, "--data", text], ["predict", dir, "--data", text], ["sample", dir, "--prime", "a", "--length", "3"], ["export", dir, "-o", join(out, "flipped-export")]]) {
      const r = seqc(...args, "--backend", "cpu");
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`${join(dir, "weights.bin")} does not match the checksum in ${join(dir, "model.json")}`);
    }
  });
});

describe("a model directory that does not fit its model", () => {
  it("the untouched directory evaluates", () => {
    expect(seqc("eval", trained, "--data", text, "--backend", "cpu").status).toBe(0);
  });

  it.each([
    ["a transposed weight", (m: ModelFile) => void (entries(m).find((w) => w.name === "logits.W")!.shape.reverse()), /the weight logits\.W is \[3, \d+\], but model tiny has it \[\d+, 3\]/],
    ["a missing weight", (m: ModelFile) => void entries(m).pop(), /the weights have no logits\.b, a parameter of model tiny/],
    [
      "an extra weight",
      (m: ModelFile, w: Buffer) => {
        entries(m).push({ name: "extra.W", shape: [2], dtype: "float32" });
        return Buffer.concat([w, Buffer.alloc(8)]);
      },
      /the weights hold extra\.W, which model tiny does not have/,
    ],
    ["a missing dim", (m: ModelFile) => void delete m.dims["V"], /model\.json gives no value for V, a dim of h\.W/],
    ["a missing vocabulary", (m: ModelFile) => void delete m.vocabularies["chars"], /no vocabulary chars/],
    ["a weight of another dtype", (m: ModelFile) => void ((entries(m)[0] as { dtype: string }).dtype = "int32"), /the weight h\.W has dtype int32; seqc saves and reads float32 weights only/],
    ["dims that are not numbers", (m: ModelFile) => void ((m as unknown as { dims: unknown }).dims = [1]), /dims must be an object of whole numbers/],
  ] as const)("%s: exit 2, named", (name, edit, message) => {
    const dir = edited(name.replace(/\W+/g, "-"), edit as (m: ModelFile, w: Buffer) => Buffer | void);
    const r = seqc("eval", dir, "--data", text, "--backend", "cpu");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("model.json that is valid JSON of the wrong form (null): exit 2", () => {
    const dir = edited("null", () => undefined);
    writeFileSync(join(dir, "model.json"), "null");
    const r = seqc("eval", dir, "--data", text, "--backend", "cpu");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a seqc model file/);
  });

  it("train --resume refuses a checkpoint with a transposed weight", () => {
    const dir = edited("resume", (m) => void entries(m).find((w) => w.name === "logits.W")!.shape.reverse());
    const r = seqc("train", spec, "--data", text, "-o", dir, "--epochs", "2", "--backend", "cpu", "-q", "--resume");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--resume: .*the weight logits\.W is/);
  });
});
