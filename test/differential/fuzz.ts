/**
 * The long run of the differential tester: `npm run fuzz -- --minutes N
 * [--seed S] [--cpu-only]`. Generates models until the time is up, runs each
 * on every target (property.ts), shrinks every failure to a small model and
 * goes on with the next seed. Prints the models and examples run, the
 * coverage table, the worst disagreement per pair of targets, and each
 * failure's shrunk spec (save it in test/differential/regressions/ with the
 * fix). Exit 1 when anything failed.
 */
import fc from "fast-check";
import { differentialProperty, Tally } from "./property.js";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const minutes = Number(option("minutes") ?? "5");
if (!(minutes > 0)) {
  process.stderr.write("usage: npm run fuzz -- --minutes N [--seed S] [--cpu-only]\n");
  process.exit(2);
}
let seed = Number(option("seed") ?? Date.now() % 1_000_000_000);
const backends: ("cpu" | "wasm")[] | undefined = process.argv.includes("--cpu-only") ? ["cpu"] : undefined;
const deadline = Date.now() + minutes * 60_000;
const tally = new Tally();
const failures: { seed: number; message: string }[] = [];
const started = Date.now();

process.stderr.write(`fuzz: ${minutes} min from seed ${seed}${backends ? " (cpu only)" : ""}\n`);
while (Date.now() < deadline) {
  const r = await fc.check(differentialProperty(tally, backends), {
    seed,
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
    markInterruptAsFailure: false,
  });
  if (!r.failed) break;
  const message = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
  failures.push({ seed, message });
  process.stderr.write(`fuzz: failure ${failures.length} (seed ${seed}, shrunk ${r.numShrinks} times):\n${message}\n`);
  seed++;
}
const secs = (Date.now() - started) / 1000;
console.log(`fuzz: ${secs.toFixed(0)} s, ${tally.summary()}, ${(tally.models / secs).toFixed(1)} models/s`);
console.log(`coverage (constructs, models using them):\n${tally.table()}`);
console.log(failures.length === 0 ? "no failures" : `${failures.length} failures (seeds ${failures.map((f) => f.seed).join(", ")})`);
process.exitCode = failures.length === 0 ? 0 : 1;
