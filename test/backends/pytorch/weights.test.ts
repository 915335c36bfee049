/**
 * The torch state_dict mapping (src/backends/pytorch/weights.ts) on
 * state_dicts made here, without torch: where each torch entry lands in the
 * seqc parameters (gate order, h/x columns, bias sums, directions, layers),
 * and the messages for state_dicts that do not fit (each names the torch key,
 * the seqc parameter and both shapes). docs/pytorch.md holds the table the
 * import applies. test/cli/commands/import-weights-torch.test.ts compares
 * with torch's own outputs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importTorchWeights, torchMappingTable, type TorchTensor } from "../../../src/backends/pytorch/weights.js";
import { ROOT } from "../../helpers/cli.js";
import { graphOf } from "../../helpers/spec.js";

/** A tensor whose entry at flat index i is base + i (so where each lands is visible). */
function counting(shape: number[], base: number): TorchTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, values: Float32Array.from({ length: n }, (_, i) => base + i) };
}

function dict(entries: [string, TorchTensor][]): Map<string, TorchTensor> {
  return new Map(entries);
}

const model = (body: string, input = "input x: [T, 3]") => `model m {\n  dim T\n  ${input}\n  target y: [T, 2]\n${body}\n  loss mse(p, y)\n}\n`;

const X = 3;
const H = 2;

/** An nn.LSTM-like layer's keys (prefix "rnn.", layer l, suffix "" or "_reverse"), each counting from its own base; `gates` 4 (LSTM), 3 (GRU), 1 (RNN). */
function lstmKeys(l: number, suffix = "", base = 0, gates = 4, input = X, h = H): [string, TorchTensor][] {
  return [
    [`rnn.weight_ih_l${l}${suffix}`, counting([gates * h, input], base + 1000)],
    [`rnn.weight_hh_l${l}${suffix}`, counting([gates * h, h], base + 2000)],
    [`rnn.bias_ih_l${l}${suffix}`, counting([gates * h], base + 3000)],
    [`rnn.bias_hh_l${l}${suffix}`, counting([gates * h], base + 4000)],
  ];
}

const head = (d: number): [string, TorchTensor][] => [
  ["head.weight", counting([2, d], 5000)],
  ["head.bias", counting([2], 6000)],
];

describe("where torch's entries land", () => {
  it("lstm: W = [weight_hh | weight_ih] with row blocks i, f, g, o as i, f, o, g; b = bias_ih + bias_hh in the same order", () => {
    const graph = graphOf(model(`  h = lstm<${H}>(x)\n  p = dense<2>(h)`));
    const w = importTorchWeights(graph, dict([...lstmKeys(0), ...head(H)]));
    const W = w.get("h.W")!;
    expect(W.shape).toEqual([4 * H, H + X]);
    // seqc row r is in seqc block floor(r / H) (i, f, o, g), torch block [0, 1, 3, 2][that], same row within.
    for (let r = 0; r < 4 * H; r++) {
      const torchRow = [0, 1, 3, 2][Math.floor(r / H)]! * H + (r % H);
      const row = Array.from(W.values.slice(r * (H + X), (r + 1) * (H + X)));
      expect(row, `row ${r}`).toEqual([...Array.from({ length: H }, (_, j) => 2000 + torchRow * H + j), ...Array.from({ length: X }, (_, j) => 1000 + torchRow * X + j)]);
    }
    const b = Array.from(w.get("h.b")!.values);
    expect(b).toEqual(Array.from({ length: 4 * H }, (_, r) => {
      const t = [0, 1, 3, 2][Math.floor(r / H)]! * H + (r % H);
      return 3000 + t + 4000 + t;
    }));
    expect(Array.from(w.get("p.W")!.values)).toEqual(Array.from(counting([2, H], 5000).values));
    expect(Array.from(w.get("p.b")!.values)).toEqual([6000, 6001]);
  });

  it("gru_reset_after: W, U, b, b_U are weight_ih, weight_hh, bias_ih, bias_hh as they are", () => {
    const graph = graphOf(model(`  h = gru_reset_after<${H}>(x)\n  p = dense<2>(h)`));
    const keys = lstmKeys(0, "", 0, 3);
    const w = importTorchWeights(graph, dict([...keys, ...head(H)]));
    ["W", "U", "b", "b_U"].forEach((name, i) => {
      expect(w.get(`h.${name}`)!.shape, name).toEqual(keys[i]![1].shape);
      expect(Array.from(w.get(`h.${name}`)!.values), name).toEqual(Array.from(keys[i]![1].values));
    });
  });

  it("a 2-layer bidirectional elman: layer k is the k-th call, _reverse its .bwd half; bias=False gives zero biases", () => {
    const graph = graphOf(model(`  h1 = bidirectional elman<${H}>(x)\n  h2 = bidirectional elman<${H}>(h1)\n  p = dense<2>(h2)`));
    const keys = [0, 1].flatMap((l) => ["", "_reverse"].flatMap((s, d) => lstmKeys(l, s, 10000 * (2 * l + d), 1, l === 0 ? X : 2 * H).filter(([k]) => k.includes("weight"))));
    const w = importTorchWeights(graph, dict([...keys, ...head(2 * H)]));
    expect(Array.from(w.get("h2.bwd.U")!.values)).toEqual(Array.from(counting([H, H], 30000 + 2000).values));
    expect(Array.from(w.get("h1.fwd.W")!.values)).toEqual(Array.from(counting([H, X], 1000).values));
    expect(w.get("h2.fwd.W")!.shape).toEqual([H, 2 * H]);
    expect(Array.from(w.get("h1.bwd.b")!.values)).toEqual([0, 0]);
  });

  it("embedding and a dense without bias take a lone weight; a free vocabulary size comes from it", () => {
    const graph = graphOf(`model m {\n  vocab v[V]\n  dim T\n  input x: [T] of v\n  target y: [T, 2]\n  e = embedding<4>(one_hot(x))\n  p = dense<2>(e)\n  loss mse(p, y)\n}\n`);
    const w = importTorchWeights(graph, dict([["emb.weight", counting([9, 4], 0)], ["out.weight", counting([2, 4], 100)]]));
    expect(w.get("e.W")!.shape).toEqual([9, 4]);
    expect(Array.from(w.get("p.b")!.values)).toEqual([0, 0]);
  });
});

describe("state_dicts that do not fit are refused, naming keys, parameters and shapes", () => {
  const lstm = graphOf(model(`  h = lstm<${H}>(x)\n  p = dense<2>(h)`));
  const CASES: { name: string; graph?: string; entries: [string, TorchTensor][]; message: string }[] = [
    {
      name: "a hidden size other than the spec's",
      entries: [...lstmKeys(0, "", 0, 4, X, 3), ...head(3)],
      message: "rnn.weight_hh_l0, rnn.weight_ih_l0 make h.W [12, 6]; the spec's h.W is [8, 5]",
    },
    {
      name: "a recurrent matrix of no known cell",
      entries: [...lstmKeys(0).map(([k, t]): [string, TorchTensor] => [k, k.includes("weight_hh") ? counting([8, 3], 0) : t]), ...head(H)],
      message: "rnn.weight_hh_l0 is [8, 3]: not [H, H] (nn.RNN), [3*H, H] (nn.GRU) or [4*H, H] (nn.LSTM)",
    },
    {
      name: "an input size other than the spec's",
      entries: [...lstmKeys(0).map(([k, t]): [string, TorchTensor] => [k, k.includes("weight_ih") ? counting([8, 5], 0) : t]), ...head(H)],
      message: "rnn.weight_hh_l0, rnn.weight_ih_l0 make h.W [8, 7]; the spec's h.W is [8, 5]",
    },
    {
      name: "biases of different sizes",
      entries: [...lstmKeys(0).map(([k, t]): [string, TorchTensor] => [k, k.includes("bias_hh") ? counting([6], 0) : t]), ...head(H)],
      message: "rnn.bias_hh_l0 is [6] but rnn.bias_ih_l0 is [8]: they are added (rnn layer 0: nn.LSTM for h, lstm)",
    },
    {
      name: "one layer too many",
      entries: [...lstmKeys(0), ...lstmKeys(1), ...head(H)],
      message: "the state_dict has 3 layers (rnn layer 0: nn.LSTM; rnn layer 1: nn.LSTM; head: nn.Linear); the model m has 2 (h: lstm; p: dense); they are matched in order",
    },
    {
      name: "another kind in a place",
      entries: [...lstmKeys(0, "", 0, 3), ...head(H)],
      message: "layer 1: the state_dict's rnn layer 0: nn.GRU does not fit h, a std lstm (nn.LSTM); layers are matched in order",
    },
    {
      name: "a bidirectional layer for a one-way call",
      entries: [...lstmKeys(0), ...lstmKeys(0, "_reverse"), ...head(H)],
      message: "layer 1: the state_dict's rnn layer 0: nn.LSTM bidirectional has 2 directions; h has 1",
    },
    {
      name: "an LSTM with proj_size",
      entries: [...lstmKeys(0), ["rnn.weight_hr_l0", counting([1, H], 0)], ...head(H)],
      message: "rnn.weight_hr_l0: an nn.LSTM with proj_size has no seqc counterpart",
    },
    {
      name: "a module seqc has no layer for",
      entries: [...lstmKeys(0), ["norm.weight", counting([H], 0)], ["norm.bias", counting([H], 0)], ...head(H)],
      message: "norm: a module with weight [2], bias [2]",
    },
    {
      name: "a NaN",
      entries: [...lstmKeys(0), ["head.weight", { shape: [2, H], values: Float32Array.from([0, NaN, 0, 0]) }], ["head.bias", counting([2], 0)]],
      message: "head.weight holds NaN at index 1",
    },
    {
      name: "std gru, which nn.GRU is not",
      graph: model(`  h = gru<${H}>(x)\n  p = dense<2>(h)`),
      entries: [...lstmKeys(0, "", 0, 3), ...head(H)],
      message: "h: std gru applies the reset gate before the recurrent product; nn.GRU applies it after: write gru_reset_after<H> (docs/pytorch.md)",
    },
    {
      name: "a cell of the spec's own",
      graph: `cell mine<H>(x: [X]) -> [H] {\n  param W: [H, X] = glorot\n  state h: [H] = 0\n  h' = tanh(W @ x)\n  out h'\n}\n` + model(`  h = mine<${H}>(x)\n  p = dense<2>(h)`),
      entries: head(H),
      message: "the parameter h.W is not of a std layer that torch has: the layers that import are dense (nn.Linear), embedding (nn.Embedding), elman (nn.RNN), lstm (nn.LSTM), gru_reset_after (nn.GRU)",
    },
    {
      name: "a lone reverse scan",
      graph: model(`  h = reverse lstm<${H}>(x)\n  p = dense<2>(h)`),
      entries: [...lstmKeys(0), ...head(H)],
      message: "h: a reverse lstm scan has no torch counterpart (torch runs a layer backwards only as the _reverse half of a bidirectional one)",
    },
  ];
  for (const c of CASES) {
    it(c.name, () => {
      expect(() => importTorchWeights(c.graph ? graphOf(c.graph) : lstm, dict(c.entries))).toThrow(c.message);
    });
  }
});

describe("docs/pytorch.md", () => {
  it("holds the table the import applies", () => {
    const doc = readFileSync(join(ROOT, "docs/pytorch.md"), "utf8");
    const section = /<!-- torch-mapping[^>]*-->\n([\s\S]*?)<!-- \/torch-mapping -->/.exec(doc)?.[1];
    expect(section, "docs/pytorch.md has no <!-- torch-mapping --> section").toBeDefined();
    expect(section, "docs/pytorch.md's table is stale: put torchMappingTable()'s output between its torch-mapping markers").toBe(torchMappingTable());
  });
});
