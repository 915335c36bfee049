import { relative } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest files, longest first: started first so that the two workers end
 * together (without vitest's cache of durations, as on a fresh CI machine, it
 * would start them in path order and one could run alone at the end).
 */
const LONGEST = [
  "test/package/pack.test.ts",
  "test/e2e/seq2seq.test.ts",
  "test/backends/ts/gradients.test.ts",
  "test/differential/differential.test.ts",
  "test/typecheck.test.ts",
  "test/e2e/seed-tasks.test.ts",
  "test/cli/commands/compile.test.ts",
  "test/cli/commands/train.test.ts",
  "test/cli/hostile.test.ts",
  "test/e2e/ts-seed-tasks.test.ts",
  "test/e2e/kill.test.ts",
  // Long too, but they wait for CI's install of PyTorch (.ci/run): started after the others above, when it is done.
  "test/differential/pytorch.test.ts",
  "test/e2e/pytorch-train.test.ts",
  "test/cli/commands/import-weights-torch.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.indexOf(relative(process.cwd(), f.moduleId));
      return i < 0 ? LONGEST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * Two projects. e2e: the tests that run the real CLI (test/cli/main.test.ts and
 * test/cli/commands/, one file per command; also as installed from the packed
 * package, and as a language server), scenarios across commands
 * (test/e2e/), those that compile, load or type-check generated trainers for
 * many models or run every target on many models, and the checker's long
 * property runs (mutated specs, generated models): `npm run test:e2e`, after
 * building dist/ (its global setup builds it when stale). unit: the rest
 * (under a minute): `npm run test:unit`. `npm test` runs both.
 *
 * Timeouts catch a hung test, not a slow one: on a loaded machine a test may
 * take several times as long as on a quiet one, so they are minutes, and no
 * test sets a shorter one.
 */
const E2E = [
  "test/cli/main.test.ts",
  "test/cli/reopen.test.ts",
  "test/cli/hostile.test.ts",
  "test/cli/check-args.test.ts",
  "test/cli/commands/**/*.test.ts",
  "test/e2e/**/*.test.ts",
  "test/backends/ts/strict.test.ts",
  "test/backends/ts/gradients.test.ts",
  "test/backends/ts/injection.test.ts",
  "test/differential/**/*.test.ts",
  "test/check/fuzz-mutants.test.ts",
  "test/check/fuzz-models.test.ts",
  "test/package/**/*.test.ts",
  "test/lsp/server.test.ts",
  "test/web/playground.test.ts",
];

export default defineConfig({
  test: {
    pool: "forks",
    sequence: { sequencer: LongestFirst },
    // Vitest's default is one worker less than the cores: a single worker on the 2-core machines
    // this suite runs on. Two workers halve the wall time.
    maxWorkers: 2,
    // As seqc's CLI and the emitted trainer do: relaxed SIMD on in Node 20, before a test compiles the runtime's module.
    setupFiles: ["src/runtime/relaxed-simd.ts"],
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: E2E, testTimeout: 300_000, hookTimeout: 300_000 } },
      { extends: true, test: { name: "e2e", include: E2E, globalSetup: ["test/helpers/build.ts"], testTimeout: 900_000, hookTimeout: 900_000 } },
    ],
  },
});
