/**
 * `seqc import-weights SPEC STATE_DICT.pt --from torch` end to end, against
 * PyTorch itself: import-weights-torch.py builds one torch model with every
 * layer kind that imports (nn.Embedding, a 2-layer bidirectional nn.LSTM,
 * nn.Linear, a 2-layer nn.GRU, a bidirectional nn.RNN made with bias=False,
 * nn.Linear), random weights, and saves its state_dict as a training
 * checkpoint ({model_state_dict, epoch}) with its outputs on random tokens.
 * The real CLI imports it into a seqc model directory; seqc's tfjs target
 * (cpu, in-process) runs the imported model on the same tokens: every
 * recurrent module's output and the logits agree with torch's within 1e-5
 * (f32 on both sides). Bad files: exit 2 (not a state_dict) or 1 (a spec
 * layer torch does not have), one line, no stack.
 *
 * Needs a Python with torch (src/backends/pytorch/find-torch.ts finds one); without it the
 * tests are skipped and their names say why.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEngine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { loadModel } from "../../../src/runtime/model-dir.js";
import { torchForTests } from "../../helpers/torch.js";
import { ROOT, runSeqc, scratch } from "../../helpers/cli.js";
import { graphOf } from "../../helpers/spec.js";
import { maxAbsDiff } from "../../helpers/numeric.js";

const TOL = 1e-5;

const SPEC = `# The torch model of import-weights-torch.py, layer by layer.
model combined {
  vocab words[V]  # V = 7 comes from the state_dict's shapes
  dim T
  input x: [T] of words
  target y: [T] of words
  e = embedding<5>(one_hot(x))
  a1 = bidirectional lstm<4>(e)
  a2 = bidirectional lstm<4>(a1)
  m = dense<3>(a2)
  g1 = gru_reset_after<5>(m)
  g2 = gru_reset_after<5>(g1)
  r = bidirectional elman<4>(g2)
  logits = dense<V>(r)
  loss cross_entropy(logits, y)
}
`;

interface Expected {
  x: number[][];
  values: Record<string, { shape: number[]; data: number[] }>;
}

const { python, skip } = await torchForTests();
const tmp = scratch("seqc-import-torch-");

describe.skipIf(skip !== "")(skip || "seqc import-weights --from torch", () => {
  let expected: Expected;

  beforeAll(() => {
    const r = spawnSync(python, [join(ROOT, "test/cli/commands/import-weights-torch.py"), tmp.dir], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expected = JSON.parse(readFileSync(join(tmp.dir, "expected.json"), "utf8")) as Expected;
  });

  it("imports embedding, bidirectional 2-layer LSTM, Linear, 2-layer GRU, bidirectional RNN without bias: seqc computes what torch computed", async () => {
    const spec = tmp.file("combined.seq", SPEC);
    const dir = join(tmp.dir, "combined-model");
    const r = runSeqc(["import-weights", spec, join(tmp.dir, "combined.pt"), "--from", "torch", "-o", dir]);
    expect(r.status, r.stderr).toBe(0);
    // Where in the checkpoint the state_dict was is said, and so is the vocabulary a state_dict cannot hold.
    expect(r.stderr).toContain("combined.pt: the state_dict is its entry model_state_dict");
    expect(r.stderr).toContain("no tokens for the data vocabulary words");

    const saved = loadModel(dir);
    expect(saved.meta.dims).toEqual({ V: 7 });
    const graph = graphOf(saved.meta.spec.source);
    const engine = await loadEngine("cpu");
    const tf = engine.tf;
    const model = new TfModel(graph, engine, saved.meta.dims, 0);
    model.setWeights(Object.fromEntries([...saved.weights].map(([k, v]) => [k, v.values])));
    const B = expected.x.length;
    const T = expected.x[0]!.length;
    const x = tf.tensor2d(expected.x, [B, T], "int32");
    const y = tf.zeros([B, T], "int32");
    const values = model.forward({ x, y }, { T }).values;
    const diffs: Record<string, number> = {};
    for (const [name, want] of Object.entries(expected.values)) {
      const got = values.get(graph.values[name]!)!;
      expect(got.shape, name).toEqual(want.shape);
      diffs[name] = maxAbsDiff(got.dataSync(), want.data);
    }
    console.log(`import-weights --from torch: max |seqc - torch| ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThanOrEqual(TOL);
    // The values are not trivially small: a wrong gate order would show.
    expect(Math.max(...expected.values["a2"]!.data.map(Math.abs))).toBeGreaterThan(0.1);
    tf.dispose([x, y, ...values.values()]);
    model.dispose();
  });

  it("a file that is not a state_dict: exit 2, one line naming the file", () => {
    const spec = tmp.file("combined.seq", SPEC);
    const pt = join(tmp.dir, "list.pt");
    const r = runSeqc(["import-weights", spec, pt, "-o", join(tmp.dir, "none")]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`seqc: cannot read ${pt} as a PyTorch state_dict: it holds a list, not a state_dict (a dict of tensors: torch.save(model.state_dict(), path))`);
  });
});

describe("seqc import-weights --from torch, refused before reading the file", () => {
  it("std gru (reset gate before the recurrent product) is not nn.GRU: exit 1, saying to write gru_reset_after", () => {
    const spec = tmp.file("gru.seq", SPEC.replace(/gru_reset_after/g, "gru"));
    const r = runSeqc(["import-weights", spec, join(tmp.dir, "absent.pt"), "--from", "torch", "-o", join(tmp.dir, "none")]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: ${join(tmp.dir, "absent.pt")} does not fit ${spec}: g1: std gru applies the reset gate before the recurrent product; nn.GRU applies it after: write gru_reset_after<H> (docs/pytorch.md)`);
  });

  it("the state_dict named before the spec: a usage error saying the order", () => {
    const r = runSeqc(["import-weights", "model.pt", "spec.seq", "-o", join(tmp.dir, "none")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("seqc: the spec comes first: seqc import-weights spec.seq model.pt -o DIR");
  });
});
