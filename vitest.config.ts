import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker less than the cores: a single worker on the 2-core machines
    // this suite runs on. Two workers halve the wall time; every timeout allows for the load.
    maxWorkers: 2,
  },
});
