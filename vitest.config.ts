import { defineConfig } from "vitest/config";

/**
 * Tests that run the real CLI (also as installed from the packed package, and as a language server), compile and load generated trainers for many models, or every target on
 * many models: `npm run test:e2e`. The rest is `npm run test:unit` (under a minute); `npm test` runs both.
 */
const E2E = ["test/cli/**/*.test.ts", "test/backends/ts/strict.test.ts", "test/backends/ts/gradients.test.ts", "test/backends/ts/injection.test.ts", "test/differential/**/*.test.ts", "test/package/**/*.test.ts", "test/lsp/server.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker less than the cores: a single worker on the 2-core machines
    // this suite runs on. Two workers halve the wall time; every timeout allows for the load.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"], exclude: E2E } },
      { extends: true, test: { name: "e2e", include: E2E } },
    ],
  },
});
