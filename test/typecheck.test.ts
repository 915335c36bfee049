/**
 * The type check of `npm run typecheck`, run as a test so that it shares the
 * suite's two workers instead of running alone before them: the repository
 * (src, grammar, bench, scripts, test) and the playground (web/, with the
 * DOM's types), each `tsc --noEmit` with its tsconfig.json.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

describe("tsc --noEmit", () => {
  it.each(["tsconfig.json", "web/tsconfig.json"])("%s has no type errors", (config) => {
    const r = spawnSync(process.execPath, [TSC, "-p", config, "--noEmit"], { cwd: ROOT, encoding: "utf8", timeout: 600_000 });
    expect(r.error).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`.trim()).toBe("");
    expect(r.status).toBe(0);
  });
});
