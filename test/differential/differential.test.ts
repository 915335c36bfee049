/**
 * The differential tester, a fixed-seed slice (the long run is `npm run fuzz`,
 * fuzz.ts): every target against every other on generated models, on the
 * regressions it found, and on every shipped spec, each on a batch of
 * examples of different lengths (run.ts says what is compared and how close).
 *
 * SEQC_DIFF_RUNS sets the number of generated models (default 100; 60 do not reach every feature its coverage check asks for; `npm run fuzz` runs many more) and
 * SEQC_FUZZ_SEED replays a run; fast-check prints the seed and the shrunk
 * model of a failure. A shrunk failure becomes a file in regressions/.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { PADDING } from "../../src/backends/tfjs/padding.js";
import { shrink, SHRINK } from "../helpers/spec.js";
import { graphOrMessages, runSpec } from "./run.js";
import { differentialProperty, problems, Tally } from "./property.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SPEC_DIR = join(resolve(HERE, "../.."), "specs");
const RUNS = Number(process.env["SEQC_DIFF_RUNS"] ?? "100") || 100;
const SEED = process.env["SEQC_FUZZ_SEED"] === undefined ? 20261202 : Number(process.env["SEQC_FUZZ_SEED"]);

const tally = new Tally();

describe("generated models: every target agrees on ragged batches", () => {
  afterAll(() => console.log(`differential slice: ${tally.summary()}\ncoverage (constructs, models using them):\n${tally.table()}`));

  it(`${RUNS} models (seed ${SEED})`, async () => {
    await fc.assert(differentialProperty(tally), { numRuns: RUNS, seed: SEED, endOnFailure: false });
    expect(tally.models).toBeGreaterThanOrEqual(RUNS);
    // The slice reaches the constructs the tester is for (a generator that stopped making them fails here).
    const seen = [...tally.features.keys()].join("\n");
    for (const construct of [
      "ctx memory",
      "attention:additive",
      "conv2d:rectangular",
      "conv1d:pad full",
      "conv1d:pad same",
      "conv1d:pad causal",
      "scan:reverse",
      "scan:bidirectional",
      "scan:mapped",
      "fold",
      "shift",
      "flip",
      "repeat",
      "initial state",
      "matmul:param-left mat-vec",
      "matmul:param-right vec-mat",
      "matmul:param-right mat-mat",
      "attention pooling over time",
      "maxpool",
      "avgpool",
      "split+concat",
      "batch_norm",
      "loss:mse",
      "loss:cross_entropy",
      "loss:bce",
      "loss:bce_logits",
      "input:tokens",
      "input:real sequence",
      "input:image",
    ])
      expect(seen, construct).toContain(construct);
  });
});

const REGRESSIONS = join(HERE, "regressions");

describe("regressions the tester found (shrunk models)", () => {
  const files = readdirSync(REGRESSIONS).filter((f) => f.endsWith(".seq")).sort();
  it("are there", () => expect(files.length).toBeGreaterThanOrEqual(7));
  it.each(files)("%s", async (f) => {
    const text = readFileSync(join(REGRESSIONS, f), "utf8");
    // `# run: seed=S min=A max=B` picks the batch that showed the bug.
    const run = /# run: seed=(\d+) min=(\d+) max=(\d+)/.exec(text);
    const v = await runSpec(text, { seed: Number(run?.[1] ?? 1), minLength: Number(run?.[2] ?? 2), maxLength: Number(run?.[3] ?? 5), file: f });
    expect(v.kind).toBe("ran");
    expect(problems(v)).toEqual([]);
  });
});

describe("shipped specs: a padded batch equals its examples run one by one, on every target", () => {
  const cases = readdirSync(SPEC_DIR)
    .filter((f) => f.endsWith(".seq"))
    .sort()
    .flatMap((f): (readonly [string, string, string, string | undefined])[] => {
      const text = shrink(f, readFileSync(join(SPEC_DIR, f), "utf8"), SHRINK[f] ?? []);
      const g = graphOrMessages(text, f);
      if ("messages" in g) return [[f, f, text, undefined] as const];
      // Every model of the file (seq2class has two).
      const names = [...text.matchAll(/^model (\w+)/gm)].map((m) => m[1]!);
      return names.map((name) => [`${f} ${name}`, f, text, name] as const);
    });

  it.each(cases)("%s", async (_label, file, text, model) => {
    expect(model, `${file} does not check`).toBeDefined();
    // Finite differences of these models are checked in test/backends/ts/gradients.test.ts.
    const v = await runSpec(text, { seed: 5, minLength: 2, maxLength: 6, noFd: true, file, ...(model ? { model } : {}) });
    expect(problems(v)).toEqual([]);
  });
});

describe("the differential check can fail", () => {
  it("a softmax that ignores padding is caught on a ragged batch", async () => {
    const text = readFileSync(join(REGRESSIONS, "matvec_param_right.seq"), "utf8");
    const rule = PADDING.softmax;
    PADDING.softmax = () => ({});
    try {
      const v = await runSpec(text, { seed: 1, minLength: 2, maxLength: 5, backends: ["cpu"] });
      expect(problems(v).length).toBeGreaterThan(0);
    } finally {
      PADDING.softmax = rule;
    }
    const v = await runSpec(text, { seed: 1, minLength: 2, maxLength: 5, backends: ["cpu"] });
    expect(problems(v)).toEqual([]);
  });
});
