/**
 * The differential property, shared by the test slice (differential.test.ts)
 * and the long run (fuzz.ts): a generated model checks, and runs the same on
 * every target (run.ts), on a batch of examples of different lengths.
 */
import fc from "fast-check";
import { generateModel, type Choose, type Generated } from "./generate.js";
import { runSpec, type Pair, type Verdict } from "./run.js";

/** fast-check's generator as the model generator's source of choices (shrinks towards `lo`). */
export function chooseFrom(g: fc.GeneratorValue): Choose {
  return { int: (lo, hi) => g(fc.integer, { min: lo, max: hi }) };
}

/** What a run of the property saw: models, examples, constructs, and the worst disagreement per pair of targets among passing models. */
export class Tally {
  models = 0;
  examples = 0;
  readonly features = new Map<string, number>();
  readonly worst: Record<Pair, number> = { "ts-f64 vs fd": 0, "tfjs-cpu vs ts-f64": 0, "tfjs-wasm vs ts-f64": 0 };

  add(g: Generated, v: Verdict): void {
    this.models++;
    for (const f of g.features) this.features.set(f, (this.features.get(f) ?? 0) + 1);
    if (v.kind !== "ran") return;
    this.examples += v.examples;
    // The worst agreement among models that pass (a failure is reported on its own).
    if (v.failures.length > 0) return;
    for (const k of Object.keys(this.worst) as Pair[]) this.worst[k] = Math.max(this.worst[k], v.worst[k]);
  }

  /** The coverage table: each construct and how many models used it. */
  table(): string {
    const rows = [...this.features].sort((a, b) => a[0].localeCompare(b[0]));
    return rows.map(([f, n]) => `  ${f.padEnd(72)} ${String(n).padStart(6)}`).join("\n");
  }

  summary(): string {
    const worst = Object.entries(this.worst)
      .map(([k, v]) => `${k} ${v.toExponential(1)}`)
      .join(", ");
    return `${this.models} models, ${this.examples} examples; worst: ${worst}`;
  }
}

/** The problems of a verdict: none when every target ran and agreed. A generated model is well-typed, so a checker rejection is a problem too. */
export function problems(v: Verdict): string[] {
  if (v.kind === "rejected") return v.messages.map((m) => `the checker rejected a generated model: ${m}`);
  if (v.kind === "refused") return [`the ts target refused a model that checks: ${v.message}`];
  return v.failures;
}

/** Runs one generated model on a ragged batch (lengths from its minimum to 3 more), seeded. */
export async function runGenerated(g: Generated, seed: number, backends?: ("cpu" | "wasm")[]): Promise<Verdict> {
  return runSpec(g.text, { seed, minLength: g.minLength, maxLength: g.minLength + 3, ...(backends ? { backends } : {}) });
}

/** The property over fast-check's generator: model, run, no problems (the error message carries the spec). */
export function differentialProperty(tally: Tally, backends?: ("cpu" | "wasm")[]) {
  return fc.asyncProperty(fc.gen(), fc.integer({ min: 1, max: 1_000_000 }), async (g, seed) => {
    const model = generateModel(chooseFrom(g));
    let v: Verdict;
    try {
      v = await runGenerated(model, seed, backends);
    } catch (e) {
      throw new Error(`an internal error: ${e instanceof Error ? e.message : String(e)}\n--- spec (seed ${seed}) ---\n${model.text}`, { cause: e });
    }
    tally.add(model, v);
    const found = problems(v);
    if (found.length > 0) throw new Error(`${found.slice(0, 6).join("\n")}\n--- spec (seed ${seed}) ---\n${model.text}`);
  });
}
