/**
 * src/backends/tfjs/train.ts: truncated BPTT and the trainer's state: windows carrying the scans' states
 * add up to the whole sequence's loss, the gradient stops at a window's edge,
 * the Trainer's updates are those windows in order, and a trainer restored from
 * getState() continues exactly as one that was never stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDataset } from "../../../src/backends/tfjs/dataset.js";
import { dropoutSeed, Rng } from "../../../src/runtime/init.js";
import { DEFAULTS, type TrainSettings } from "../../../src/backends/settings.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel, type ScanStates } from "../../../src/backends/tfjs/exec.js";
import { Trainer, windowAxis } from "../../../src/backends/tfjs/train.js";
import { maxAbsDiff } from "../../helpers/numeric.js";
import { graphOf, randomTensor, randomWeights, type Tensor } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const SPEC = (cell: string) => `model m {
  dim T
  input x: [T, 2]
  target y: [T, 1]
  h = ${cell}<3>(x)
  p = dense<1>(h)
  loss mse(p, y)
}
`;

const models: TfModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

function newModel(cell: string, seed = 1): TfModel {
  const m = new TfModel(graphOf(SPEC(cell)), engine, {}, seed);
  models.push(m);
  return m;
}

/** Steps [t0, t0 + w) of [B, T, ...] tensors. */
function window(data: Record<string, Tensor>, t0: number, w: number): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(data).map(([k, t]) => [k, engine.tf.slice(t, [0, t0], [-1, w])]));
}

/** Gradients of a loss w.r.t. every parameter, flattened in parameter order. */
function gradOf(model: TfModel, f: () => Tensor): Float32Array {
  const tf = engine.tf;
  const vars = [...model.params.values()];
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(f as () => tfScalar, vars);
    return Float32Array.from(vars.flatMap((v) => [...grads[v.name]!.dataSync()]));
  });
}
type tfScalar = ReturnType<Engine["tf"]["scalar"]>;

function clone(states: ScanStates): ScanStates {
  return Object.fromEntries(Object.entries(states).map(([k, s]) => [k, Object.fromEntries(Object.entries(s).map(([n, t]) => [n, t.clone()]))]));
}

describe("truncated BPTT: forward with carried states", () => {
  it.each(["elman", "lstm", "gru"])("%s: two windows with the state carried give the whole sequence's loss (padded rows too)", (cell) => {
    const model = newModel(cell);
    model.setWeights(randomWeights(model, new Rng(7), 0.6));
    const rng = new Rng(3);
    const data = { x: randomTensor(engine, rng, [3, 8, 2]), y: randomTensor(engine, rng, [3, 8, 1]) };
    const lengths = [8, 6, 3];
    const whole = model.forward(data, { T: 8 }, { T: lengths }).loss.dataSync()[0]!;
    const w1 = model.forward(window(data, 0, 4), { T: 4 }, { T: lengths.map((l) => Math.min(4, l)) });
    const carried = clone(w1.states);
    const w2 = model.forward(window(data, 4, 4), { T: 4 }, { T: lengths.map((l) => Math.max(0, Math.min(4, l - 4))) }, carried);
    const sum = w1.loss.dataSync()[0]! + w2.loss.dataSync()[0]!;
    console.log(`${cell}: whole ${whole.toFixed(6)}, windows ${sum.toFixed(6)}, |diff| ${Math.abs(whole - sum).toExponential(2)}`);
    expect(Math.abs(whole - sum)).toBeLessThan(1e-5);
    // Without the carried state the second window starts from zeros: a different loss.
    const fresh = model.forward(window(data, 4, 4), { T: 4 }, { T: lengths.map((l) => Math.max(0, Math.min(4, l - 4))) }).loss.dataSync()[0]!;
    expect(Math.abs(w1.loss.dataSync()[0]! + fresh - whole)).toBeGreaterThan(1e-4);
  });

  it("the gradient of window 2 depends on window 1 only through the carried state's value", () => {
    const model = newModel("lstm");
    model.setWeights(randomWeights(model, new Rng(11), 0.6));
    const rng = new Rng(5);
    const data = { x: randomTensor(engine, rng, [2, 8, 2]), y: randomTensor(engine, rng, [2, 8, 1]) };
    const first = window(data, 0, 4);
    const second = window(data, 4, 4);
    const perturbed = { ...first, x: engine.tf.add(first.x, randomTensor(engine, rng, [2, 4, 2], 0.5)) };
    const stateAfter = (w: Record<string, Tensor>) => clone(model.forward(w, { T: 4 }).states);
    const s = stateAfter(first);
    const sPerturbed = stateAfter(perturbed);
    const g2 = (initial: ScanStates) => gradOf(model, () => model.forward(second, { T: 4 }, {}, initial).loss);
    const base = g2(s);
    // The window's gradient depends on window 1 only through the carried value it is given.
    expect(maxAbsDiff(g2(sPerturbed), base)).toBeGreaterThan(1e-4);
    // And it is truncated: full BPTT through window 1 (state computed under the tape) gives another gradient.
    const full = gradOf(model, () => model.forward(second, { T: 4 }, {}, model.forward(first, { T: 4 }).states).loss);
    expect(maxAbsDiff(full, base)).toBeGreaterThan(1e-4);
  });
});

function settings(over: Partial<TrainSettings>): TrainSettings {
  return { ...DEFAULTS, optimizer: { name: "sgd", lr: 0.1, options: {} }, ...over };
}

/** JSONL for SPEC: `n` sequences of the given lengths, seeded. */
function jsonl(lengths: number[], seed: number): string {
  const rng = new Rng(seed);
  const r = () => Math.round(rng.uniform(1) * 1000) / 1000;
  return lengths.map((T) => JSON.stringify({ x: Array.from({ length: T }, () => [r(), r()]), y: Array.from({ length: T }, () => [r()]) })).join("\n") + "\n";
}

describe("Trainer with truncated BPTT", () => {
  it("one update per window, in order, each starting from the previous window's final state (as a constant)", async () => {
    const graph = graphOf(SPEC("elman"));
    const data = parseDataset(jsonl([8, 8], 2), graph);
    expect(windowAxis(data)).toBe("T");
    const s = settings({ batch: 2, epochs: 1, bptt: 4 });
    const model = newModel("elman", 4);
    const trainer = new Trainer(model, s);
    const losses: number[] = [];
    await trainer.fit(data, { onStep: (i) => losses.push(i.loss) });
    expect(losses).toHaveLength(2);

    // The same by hand on a twin model: rows in the order the trainer's generator shuffled them (the batch mean does not depend on it anyway).
    const tf = engine.tf;
    const twin = newModel("elman", 4);
    const x = tf.tensor(data.fields["x"]!.data, [2, 8, 2]);
    const y = tf.tensor(data.fields["y"]!.data, [2, 8, 1]);
    const w1 = window({ x, y }, 0, 4);
    const w2 = window({ x, y }, 4, 4);
    const sgd = (f: () => Tensor) => {
      const vars = [...twin.params.values()];
      const { value, grads } = tf.variableGrads(f as () => tfScalar, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(0.1, grads[v.name]!)));
      return value.dataSync()[0]!;
    };
    let carried: ScanStates = {};
    const l1 = sgd(() => {
      const r = twin.forward(w1, { T: 4 });
      carried = Object.fromEntries(Object.entries(r.states).map(([k, st]) => [k, Object.fromEntries(Object.entries(st).map(([n, t]) => [n, tf.keep(t)]))]));
      return r.loss;
    });
    const l2 = sgd(() => twin.forward(w2, { T: 4 }, {}, carried).loss);
    expect(Math.abs(l1 - losses[0]!)).toBeLessThan(1e-6);
    expect(Math.abs(l2 - losses[1]!)).toBeLessThan(1e-6);
    for (const [name, v] of model.params) expect(maxAbsDiff(v.dataSync(), twin.params.get(name)!.dataSync())).toBeLessThan(1e-6);
  });

  it("bptt 0 keeps whole sequences: one update per batch", async () => {
    const graph = graphOf(SPEC("elman"));
    const data = parseDataset(jsonl([8, 8, 5], 2), graph);
    const trainer = new Trainer(newModel("elman"), settings({ batch: 2, epochs: 1, bptt: 0 }));
    let n = 0;
    await trainer.fit(data, { onStep: () => n++ });
    expect(n).toBe(2);
  });

  it.each([
    ["adam", 0],
    ["adam", 3],
    ["momentum", 3],
    ["rmsprop", 0],
  ] as const)("%s (bptt %i): a trainer restored from getState() mid-epoch repeats the uninterrupted losses exactly", async (opt, bptt) => {
    const graph = graphOf(SPEC("lstm"));
    // No 1-step windows here: the scan optimiser's gradient of a 1-step scan is a known problem of its own.
    const data = parseDataset(jsonl([9, 6, 9, 5, 8], 6), graph);
    const s: TrainSettings = { ...settings({ batch: 2, epochs: 3, bptt, seed: 9 }), optimizer: { name: opt, lr: 0.01, options: {} } };
    const straight: number[] = [];
    const a = new Trainer(newModel("lstm"), s);
    await a.fit(data, { onStep: (i) => straight.push(i.loss) });

    const resumed: number[] = [];
    const b = new Trainer(newModel("lstm"), s);
    await b.fit(data, { onStep: (i) => resumed.push(i.loss), shouldStop: () => resumed.length === 5 });
    expect(b.midEpoch).toBe(true);
    const state = await b.getState();
    const model = newModel("lstm", 123); // other initial weights: everything must come from the checkpoint
    model.setWeights(Object.fromEntries([...b.model.params].map(([n, v]) => [n, v.dataSync() as Float32Array])));
    const c = new Trainer(model, s);
    await c.setState({ ...state, progress: JSON.parse(JSON.stringify(state.progress)) as typeof state.progress });
    const reports = await c.fit(data, { onStep: (i) => resumed.push(i.loss) });
    expect(resumed).toEqual(straight);
    expect(c.epoch).toBe(3);
    expect(reports.length).toBeGreaterThan(0);
    for (const t of [a, b, c]) t.dispose();
  });

  it("evaluate carries states across windows: the same loss as whole sequences, per window", () => {
    const graph = graphOf(SPEC("gru"));
    const data = parseDataset(jsonl([8, 8], 3), graph);
    const model = newModel("gru");
    const whole = new Trainer(model, settings({ batch: 2, bptt: 0 })).evaluate(data);
    const windows = new Trainer(model, settings({ batch: 2, bptt: 4 })).evaluate(data);
    // Two windows per batch, each counted with its rows: the mean window loss is half the whole-sequence loss.
    expect(Math.abs(windows * 2 - whole)).toBeLessThan(1e-5);
  });
});

describe("Trainer with dropout", () => {
  /** SPEC's shape with dropout on the input per step and on the scan's output per sequence. */
  const DROPOUT_SPEC = `model m {
  dim T
  input x: [T, 2]
  target y: [T, 1]
  h = elman<3>(dropout(x, rate: 0.5))
  p = dense<1>(dropout(h, rate: 0.3, per: sequence))
  loss mse(p, y)
}
`;
  const graph = graphOf(DROPOUT_SPEC);
  const data = parseDataset(jsonl([6], 4), graph);
  const losses = async (seed: number): Promise<{ losses: number[]; trainer: Trainer }> => {
    const model = new TfModel(graph, engine, {}, 1);
    models.push(model);
    const trainer = new Trainer(model, settings({ batch: 1, epochs: 4, seed }));
    const out: number[] = [];
    await trainer.fit(data, { onStep: (i) => out.push(i.loss) });
    return { losses: out, trainer };
  };

  it("update k draws its masks from dropoutSeed(seed, k): reproducible from the seed, other masks with another seed", async () => {
    const fresh = new TfModel(graph, engine, {}, 1);
    models.push(fresh);
    const feed = { x: engine.tf.tensor(data.fields["x"]!.data as Float32Array, [1, 6, 2]), y: engine.tf.tensor(data.fields["y"]!.data as Float32Array, [1, 6, 1]) };
    const lossWith = (seed: number | undefined) => {
      fresh.training = seed;
      return engine.tf.tidy(() => fresh.forward(feed, { T: 6 }).loss.dataSync()[0]!);
    };
    const first = lossWith(dropoutSeed(7, 0));
    expect(lossWith(dropoutSeed(7, 0))).toBe(first); // the same masks from the same seed
    const plain = lossWith(undefined);
    expect(Math.abs(first - plain)).toBeGreaterThan(1e-4);

    const a = await losses(7);
    const b = await losses(7);
    const c = await losses(8);
    expect(a.losses[0]).toBeCloseTo(first, 6);
    expect(b.losses).toEqual(a.losses);
    expect(c.losses[0]).not.toBeCloseTo(first, 6);
    // Not while evaluating: the trained model without masks.
    expect(a.trainer.model.training).toBeUndefined();
    const evaluated = a.trainer.evaluate(data);
    a.trainer.model.training = undefined;
    expect(evaluated).toBeCloseTo(engine.tf.tidy(() => a.trainer.model.forward(feed, { T: 6 }).loss.dataSync()[0]!), 5);
    for (const t of [a, b, c]) t.trainer.dispose();
    engine.tf.dispose(Object.values(feed));
  });
});
