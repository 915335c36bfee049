/**
 * Decoding along the feedback edge (src/backends/tfjs/decode.ts) on tiny
 * hand-made models: a bigram model whose next-token distribution is a table
 * set by hand (so greedy traps and length trade-offs can be built exactly),
 * and a conditioned model whose fixed input (a "source") changes the output;
 * and closed-loop generation of a real-valued series (NARX's parallel form)
 * against the recursion written out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { beamSearch, closedLoop, DecodeError, greedyDecode, normalisedScore, sampleDecode } from "../../../src/backends/tfjs/decode.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import type { TfModel } from "../../../src/backends/tfjs/exec.js";
import type { Graph } from "../../../src/graph/graph.js";
import { modelOf, randomWeights } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const models: TfModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

// Token ids of the vocabulary below.
const BOS = 0, A = 1, B = 2, C = 3, D = 4, EOS = 5;
const V = 6;

const BIGRAM = `model bigram {
  vocab v[V] = ["<bos>", a, b, c, d, "<eos>"]
  dim T
  input x: [T] of v
  target y: [T] of v
  logits = dense<V>(one_hot(x))
  loss cross_entropy(logits, y)
  feedback x from logits until "<eos>"
}
`;

/**
 * A bigram model with P(next | prev) = table[prev][next] for the listed
 * entries; the rest of each row's mass is spread evenly over the other
 * tokens (never <bos>).
 */
function bigram(table: Record<number, Record<number, number>>): { graph: Graph; model: TfModel } {
  const m = modelOf(BIGRAM, engine);
  models.push(m.model);
  const W = new Float32Array(V * V); // [next, prev]: logits = W @ one_hot(prev) + b
  for (let prev = 0; prev < V; prev++) {
    const row = table[prev] ?? {};
    const listed = Object.keys(row).map(Number);
    const rest = 1 - Object.values(row).reduce((a, b) => a + b, 0);
    const others = [...Array(V).keys()].filter((t) => t !== BOS && !listed.includes(t));
    for (let next = 0; next < V; next++) {
      const p = row[next] ?? (next === BOS || others.length === 0 ? 1e-9 : rest / others.length);
      W[next * V + prev] = Math.log(Math.max(p, 1e-9));
    }
  }
  expect([...m.model.params.keys()].sort()).toEqual(["logits.W", "logits.b"]);
  m.model.setWeights({ "logits.W": W, "logits.b": new Float32Array(V) });
  return m;
}

const logP = (...ps: number[]) => ps.reduce((a, p) => a + Math.log(p), 0);

describe("greedy decoding", () => {
  it("takes the most likely token and stops at <eos>, which it does not output", () => {
    const { graph, model } = bigram({ [BOS]: { [A]: 0.6 }, [A]: { [B]: 0.7 }, [B]: { [EOS]: 0.9 } });
    const [h] = greedyDecode(model, graph, {}, [BOS], { maxLength: 10, stopId: EOS });
    expect(h!.ids).toEqual([A, B]);
    expect(h!.finished).toBe(true);
    expect(h!.logProb).toBeCloseTo(logP(0.6, 0.7, 0.9), 4);
  });

  it("stops at maxLength when <eos> does not come, marking the sequence unfinished", () => {
    const { graph, model } = bigram({ [BOS]: { [A]: 0.9 }, [A]: { [A]: 0.9 } });
    const [h] = greedyDecode(model, graph, {}, [BOS], { maxLength: 4, stopId: EOS });
    expect(h!.ids).toEqual([A, A, A, A]);
    expect(h!.finished).toBe(false);
  });

  it("continues from several start tokens (a prime)", () => {
    const { graph, model } = bigram({ [C]: { [D]: 0.8 }, [D]: { [EOS]: 0.8 } });
    const [h] = greedyDecode(model, graph, {}, [BOS, A, C], { maxLength: 5, stopId: EOS });
    expect(h!.ids).toEqual([D]);
  });

  it("needs a feedback edge and a start token", () => {
    const m = modelOf(`model m {\n  dim T\n  input x: [T, 2]\n  target y: [T, 1]\n  loss mse(dense<1>(x), y)\n}\n`, engine);
    models.push(m.model);
    expect(() => greedyDecode(m.model, m.graph, {}, [0], { maxLength: 3 })).toThrow(DecodeError);
    const { graph, model } = bigram({});
    expect(() => greedyDecode(model, graph, {}, [], { maxLength: 3 })).toThrow(/start token/);
  });
});

describe("beam search", () => {
  it("with width 1 equals greedy decoding (random bigram models, any alpha)", () => {
    const m = modelOf(BIGRAM, engine);
    models.push(m.model);
    for (let seed = 1; seed <= 5; seed++) {
      m.model.setWeights(randomWeights(m.model, new Rng(seed), 2));
      const [g] = greedyDecode(m.model, m.graph, {}, [BOS], { maxLength: 8, stopId: EOS });
      for (const alpha of [0, 0.7, 1]) {
        const [b] = beamSearch(m.model, m.graph, {}, [BOS], { width: 1, alpha, maxLength: 8, stopId: EOS });
        expect(b!.ids).toEqual(g!.ids);
        expect(b!.finished).toBe(g!.finished);
        expect(b!.logProb).toBeCloseTo(g!.logProb, 5);
      }
    }
  });

  it("escapes greedy's trap: a likely first token whose continuations are all poor", () => {
    // Greedy: a (0.5), then c (0.35), then <eos> (0.99): P = 0.173.
    // Beam: b (0.45), then <eos> (0.99): P = 0.446.
    const { graph, model } = bigram({
      [BOS]: { [A]: 0.5, [B]: 0.45 },
      [A]: { [C]: 0.35, [D]: 0.33, [EOS]: 0.3 },
      [B]: { [EOS]: 0.99 },
      [C]: { [EOS]: 0.99 },
      [D]: { [EOS]: 0.99 },
    });
    const [g] = greedyDecode(model, graph, {}, [BOS], { maxLength: 10, stopId: EOS });
    expect(g!.ids).toEqual([A, C]);
    expect(g!.logProb).toBeCloseTo(logP(0.5, 0.35, 0.99), 4);
    for (const alpha of [0, 0.7]) {
      const hyps = beamSearch(model, graph, {}, [BOS], { width: 2, alpha, maxLength: 10, stopId: EOS });
      const best = hyps[0]!;
      expect(best.ids).toEqual([B]);
      expect(best.finished).toBe(true);
      expect(best.logProb).toBeCloseTo(logP(0.45, 0.99), 4);
      expect(best.score).toBeCloseTo(normalisedScore(best.logProb, 2, alpha), 6);
      expect(best.score).toBeGreaterThan(normalisedScore(g!.logProb, g!.ids.length + 1, alpha));
      // Ranked best first by the normalised score.
      for (let i = 1; i < hyps.length; i++) expect(hyps[i]!.score).toBeLessThanOrEqual(hyps[i - 1]!.score);
    }
  });

  it("length normalisation turns the preference from a short to a long hypothesis", () => {
    // Short: c <eos>, P = 0.6 * 0.9 (logP -0.62 over 2 tokens).
    // Long: a b d <eos>, P = 0.35 * 0.98^3 (logP -1.11 over 4 tokens).
    const { graph, model } = bigram({
      [BOS]: { [C]: 0.6, [A]: 0.35 },
      [C]: { [EOS]: 0.9 },
      [A]: { [B]: 0.98 },
      [B]: { [D]: 0.98 },
      [D]: { [EOS]: 0.98 },
    });
    const short = logP(0.6, 0.9);
    const long = logP(0.35, 0.98, 0.98, 0.98);
    const search = (alpha: number) => beamSearch(model, graph, {}, [BOS], { width: 2, alpha, maxLength: 10, stopId: EOS });
    const raw = search(0);
    expect(raw.map((h) => h.ids)).toEqual([[C], [A, B, D]]);
    expect(raw[0]!.logProb).toBeCloseTo(short, 4);
    expect(raw[1]!.logProb).toBeCloseTo(long, 4);
    const normalised = search(1);
    expect(normalised.map((h) => h.ids)).toEqual([[A, B, D], [C]]);
    expect(normalised[0]!.score).toBeCloseTo(long / 4, 4);
    expect(normalised[1]!.score).toBeCloseTo(short / 2, 4);
    // Greedy sees only the short one.
    expect(greedyDecode(model, graph, {}, [BOS], { maxLength: 10, stopId: EOS })[0]!.ids).toEqual([C]);
  });

  it("never outputs <eos> and keeps unfinished hypotheses at maxLength", () => {
    const { graph, model } = bigram({ [BOS]: { [A]: 0.9 }, [A]: { [A]: 0.9 } });
    const hyps = beamSearch(model, graph, {}, [BOS], { width: 3, alpha: 0.7, maxLength: 3, stopId: EOS });
    expect(hyps.length).toBeGreaterThan(0);
    for (const h of hyps) {
      expect(h.ids).not.toContain(EOS);
      if (!h.finished) expect(h.ids).toHaveLength(3);
    }
    expect(hyps[0]!.ids).toEqual([A, A, A]);
    expect(hyps[0]!.finished).toBe(false);
  });

  it("rejects a width below 1", () => {
    const { graph, model } = bigram({});
    expect(() => beamSearch(model, graph, {}, [BOS], { width: 0, maxLength: 3, stopId: EOS })).toThrow(DecodeError);
  });
});

describe("decoding with fixed inputs (a source, as in seq2seq)", () => {
  // The next token depends on the previous one and on a bag of source tokens.
  const COND = `model cond {
  vocab v[V] = ["<bos>", a, b, c, d, "<eos>"]
  dim S
  dim T
  input s: [S] of v
  input x: [T] of v
  target y: [T] of v
  m = sum(one_hot(s))
  u = dense<V>(one_hot(x))
  w = dense<V>(m)
  logits = u + w
  loss cross_entropy(logits, y)
  feedback x from logits until "<eos>"
}
`;
  const sources = [[A, B, B], [C, C, D], [D, A, A]];

  function cond(): { graph: Graph; model: TfModel } {
    // Saved models carry the padded training lengths as dims: the source's actual length must win.
    const m = modelOf(COND, engine, { S: 9, T: 9 });
    models.push(m.model);
    m.model.setWeights(randomWeights(m.model, new Rng(7), 1.5));
    return m;
  }

  it("greedy decodes a batch of sources as each one alone, and beam width 1 agrees", () => {
    const tf = engine.tf;
    const { graph, model } = cond();
    const batch = greedyDecode(model, graph, { s: tf.tensor2d(sources.flat(), [3, 3], "int32") }, [BOS], { maxLength: 6, stopId: EOS });
    expect(batch).toHaveLength(3);
    sources.forEach((src, i) => {
      const s = tf.tensor2d(src, [1, 3], "int32");
      const [one] = greedyDecode(model, graph, { s }, [BOS], { maxLength: 6, stopId: EOS });
      expect(batch[i]!.ids).toEqual(one!.ids);
      expect(batch[i]!.logProb).toBeCloseTo(one!.logProb, 4);
      const [b] = beamSearch(model, graph, { s }, [BOS], { width: 1, alpha: 0.7, maxLength: 6, stopId: EOS });
      expect(b!.ids).toEqual(one!.ids);
      s.dispose();
    });
    // The source matters.
    expect(new Set(batch.map((h) => JSON.stringify(h.ids))).size).toBeGreaterThan(1);
  });

  it("beam search is at least as good as greedy by the normalised score, for every source and width", () => {
    const tf = engine.tf;
    const { graph, model } = cond();
    for (const src of sources) {
      const s = tf.tensor2d(src, [1, src.length], "int32");
      const [g] = greedyDecode(model, graph, { s }, [BOS], { maxLength: 6, stopId: EOS });
      for (const width of [2, 3, 5]) {
        const [b] = beamSearch(model, graph, { s }, [BOS], { width, alpha: 0, maxLength: 6, stopId: EOS });
        expect(b!.score).toBeGreaterThanOrEqual(g!.score - 1e-5);
      }
      s.dispose();
    }
  });

  it("needs the model's other inputs", () => {
    const { graph, model } = cond();
    expect(() => greedyDecode(model, graph, {}, [BOS], { maxLength: 3, stopId: EOS })).toThrow(/needs the input s/);
  });
});

describe("sampling", () => {
  it("is seeded, and near-deterministic tables give their sequence", () => {
    const { graph, model } = bigram({ [BOS]: { [A]: 0.5, [B]: 0.5 }, [A]: { [C]: 0.999 }, [B]: { [D]: 0.999 }, [C]: { [EOS]: 0.999 }, [D]: { [EOS]: 0.999 } });
    const run = (seed: number) => sampleDecode(model, graph, {}, [BOS], { maxLength: 5, stopId: EOS, rng: new Rng(seed) });
    expect(run(3)).toEqual(run(3));
    const seen = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const h = run(seed);
      expect(h.finished).toBe(true);
      seen.add(JSON.stringify(h.ids));
    }
    expect(seen).toEqual(new Set([JSON.stringify([A, C]), JSON.stringify([B, D])]));
  });
});

describe("closed loop (real-valued feedback)", () => {
  const AR = (past: string) => `model ar {
  dim T
  input x: [T, 1]
  input y_prev: [T, 1]
  target y: [T, 1]
  p = dense<1>(concat(x, ${past}))
  loss mse(p, y)
  feedback y_prev from p
}
`;

  it("feeds each prediction back: p_t = W [x_t, p_(t-1)] + b from p_(-1) = 0, for every row", () => {
    const m = modelOf(AR("shift<1>(y_prev)"), engine);
    models.push(m.model);
    m.model.setWeights({ "p.W": [0.5, 0.8], "p.b": [0.1] });
    const xs = [[1, -1, 0.5, 2], [0, 0.3, -0.2, 1]];
    const x = engine.tf.tensor(xs.flat(), [2, 4, 1]);
    const out = closedLoop(m.model, m.graph, { x }, 4);
    xs.forEach((row, r) => {
      let prev = 0;
      const want = row.map((xt) => (prev = 0.5 * xt + 0.8 * prev + 0.1));
      expect(Array.from(out[r]!).map((v) => Number(v.toFixed(5)))).toEqual(want.map((v) => Number(v.toFixed(5))));
    });
    x.dispose();
  });

  it("refuses a model whose prediction at a step reads the fed-back input at that step", () => {
    const m = modelOf(AR("y_prev"), engine);
    models.push(m.model);
    m.model.setWeights({ "p.W": [0.5, 0.8], "p.b": [0.1] });
    const x = engine.tf.tensor([1, 2, 3], [1, 3, 1]);
    expect(() => closedLoop(m.model, m.graph, { x }, 3)).toThrow(/reads y_prev at the same step.*shift<1>\(y_prev\)/);
    x.dispose();
  });
});
