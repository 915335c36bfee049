/**
 * The pytorch target against the ts target (the reference of run.ts): every
 * model of every shipped spec and a fixed-seed slice of generated models
 * (generate.ts: every construct the tester covers), each on examples of
 * different lengths, run in float64 in one Python process (torch.ts): the
 * same loss and gradients within 1e-9 of their scale, with dropout off (eval
 * mode); models with dropout or batch_norm run once more in training mode,
 * each example with the masks the ts target draws for its seed
 * (seqc_torch.MaskDraws against init.ts drawMask) and its own batch
 * statistics, so the masked and batch-normalised computations are compared
 * too, and the running statistics after each forward pass. Without a python that
 * imports torch the cases are skipped, saying why (find-torch.ts). Hostile
 * names and strings (torch-hostile.ts, and the ts target's) run and agree
 * too: they cannot inject code into model.py.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { shrink, SHRINK } from "../helpers/spec.js";
import { torchForTests } from "../helpers/torch.js";
import { FILE, KEYWORDS } from "../backends/ts/hostile-specs.js";
import { PYTHON_FILE, PYTHON_HOSTILE } from "./torch-hostile.js";
import { generateModel, seededChoose } from "./generate.js";
import { Rng } from "../../src/runtime/init.js";
import { graphOrMessages, reference, type Reference } from "./run.js";
import { runTorch, TORCH_RTOL, type TorchVerdict } from "./torch.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const SPEC_DIR = join(resolve(HERE, "../.."), "specs");
const GENERATED = Number(process.env["SEQC_TORCH_DIFF_RUNS"] ?? "10") || 10;

const { python, skip } = await torchForTests();

interface Case {
  label: string;
  text: string;
  file: string;
  model?: string;
  seed: number;
  minLength: number;
  maxLength: number;
  /** Training mode: the seed of the first example's dropout masks (RunOptions.dropout). */
  dropout?: number;
}

const shipped: Case[] = readdirSync(SPEC_DIR)
  .filter((f) => f.endsWith(".seq"))
  .sort()
  .flatMap((f) => {
    const text = shrink(f, readFileSync(join(SPEC_DIR, f), "utf8"), SHRINK[f] ?? []);
    const names = "messages" in graphOrMessages(text, f) ? [undefined] : [...text.matchAll(/^model (\w+)/gm)].map((m) => m[1]!);
    return names.flatMap((model) => {
      const c: Case = { label: `${f}${model ? ` ${model}` : ""}`, text, file: f, ...(model ? { model } : {}), seed: 5, minLength: 2, maxLength: 6 };
      const g = graphOrMessages(text, f, model);
      const nodes = "graph" in g ? g.graph.nodes : [];
      const training = [
        ...(nodes.some((n) => n.kind === "mask") ? ["dropout masks of seeds 77.."] : []),
        ...(nodes.some((n) => n.kind === "op" && n.op === "batch_normalize") ? ["batch statistics"] : []),
      ];
      return training.length > 0 ? [c, { ...c, label: `${c.label} (training: ${training.join(", ")})`, dropout: 77 }] : [c];
    });
  });

const rng = new Rng(20261213);
const generated: Case[] = Array.from({ length: GENERATED }, (_, i) => {
  const g = generateModel(seededChoose(() => rng.next()));
  return { label: `generated #${i}`, text: g.text, file: "gen.seq", seed: 1000 + i, minLength: g.minLength, maxLength: g.minLength + 3 };
});

const hostile: Case[] = [
  { label: "hostile: Python's words", text: PYTHON_HOSTILE, file: PYTHON_FILE, seed: 3, minLength: 2, maxLength: 5 },
  { label: "hostile: the ts target's words", text: KEYWORDS, file: FILE, seed: 3, minLength: 2, maxLength: 5 },
];

const cases = [...shipped, ...hostile, ...generated];
const verdicts = new Map<string, { ref: Reference | string; verdict?: TorchVerdict }>();

describe.skipIf(skip !== "")(`${skip || "the pytorch target equals the ts target in f64"} (<= ${TORCH_RTOL} relative)`, () => {
  beforeAll(async () => {
    const refs: Reference[] = [];
    for (const c of cases) {
      const r = await reference(c.text, { seed: c.seed, minLength: c.minLength, maxLength: c.maxLength, noFd: true, file: c.file, ...(c.model ? { model: c.model } : {}), ...(c.dropout !== undefined ? { dropout: c.dropout } : {}) });
      if (!("graph" in r)) verdicts.set(c.label, { ref: JSON.stringify(r) });
      else {
        verdicts.set(c.label, { ref: r });
        refs.push(r);
      }
    }
    const ran = runTorch(python, refs);
    let k = 0;
    for (const c of cases) {
      const v = verdicts.get(c.label)!;
      if (typeof v.ref !== "string") v.verdict = ran[k++];
    }
    const worst = Math.max(...[...verdicts.values()].map((v) => (v.verdict && v.verdict.failures.length === 0 ? v.verdict.worst : 0)));
    console.log(`pytorch vs ts-f64: ${refs.length} models, worst relative difference ${worst.toExponential(2)}`);
    for (const c of shipped) console.log(`  ${c.label.padEnd(44)} ${verdicts.get(c.label)?.verdict?.worst.toExponential(2) ?? "-"}`);
  }, 600_000);

  it.each([...shipped, ...hostile].map((c) => c.label))("%s", (label) => {
    const v = verdicts.get(label)!;
    expect(typeof v.ref === "string" ? v.ref : "").toBe("");
    expect(v.verdict?.refused ?? "").toBe("");
    expect(v.verdict?.failures).toEqual([]);
  });

  it("the training cases differ from the eval ones: their reference loss is not the eval case's", () => {
    const training = shipped.filter((c) => c.dropout !== undefined);
    expect(training.length).toBeGreaterThan(0);
    for (const c of training) {
      const on = verdicts.get(c.label)!.ref;
      const off = verdicts.get(shipped.find((e) => e.text === c.text && e.model === c.model && e.dropout === undefined)!.label)!.ref;
      expect(typeof on !== "string" && typeof off !== "string" && on.loss !== off.loss, c.label).toBe(true);
    }
  });

  it(`${GENERATED} generated models`, () => {
    const problems = generated.flatMap((c) => {
      const v = verdicts.get(c.label)!;
      // A generated model the ts target does not run is a problem too, not a model left out of the comparison.
      const found = typeof v.ref === "string" ? [`no reference run: ${v.ref}`] : [...(v.verdict?.refused ? [`refused: ${v.verdict.refused}`] : []), ...(v.verdict?.failures ?? [])];
      return found.length > 0 ? [`${c.label}: ${found.slice(0, 4).join("; ")}\n${c.text}`] : [];
    });
    expect(problems).toEqual([]);
  });
});
