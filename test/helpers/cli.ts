/**
 * Running the real CLI (bin/seqc.js, over the compiled dist/) and the
 * trainers it writes in tests, from the repository root, as a user would; the
 * e2e project builds dist/ first when it is stale (build.ts).
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Generous: a kill for a hung process on a loaded machine, not a measure of speed. */
  timeout?: number;
  input?: string;
}

const TIMEOUT = 600_000;

/** The environment of a run: NO_COLOR and FORCE_COLOR unset (colors only when asked), then `env`. */
function envOf(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env };
}

/** Runs `node ARGS` (a script and its arguments) from the root and waits for it. */
export function runNode(args: string[], opts: RunOptions = {}): Run {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", input: opts.input ?? "", env: envOf(opts.env), timeout: opts.timeout ?? TIMEOUT });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `node ARGS` without blocking, so that several runs overlap (each loads the compiler, TypeScript or TensorFlow.js). */
export function runNodeAsync(args: string[], opts: Omit<RunOptions, "input"> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: envOf(opts.env), timeout: opts.timeout ?? TIMEOUT }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") fail(error);
      else done({ status: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** A failure is a few lines for people, never a stack trace or an internal error. */
export function expectNoStack(r: Run, what = ""): void {
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  expect(r.stdout, what).not.toMatch(/^\s+at /m);
  expect(r.stderr, what).not.toContain("internal error");
}

/** Runs `seqc ARGS`: whatever its exit code, a stack trace or an internal error in what it prints fails the test. */
export function runSeqc(args: string[], opts: RunOptions = {}): Run {
  const r = runNode(["bin/seqc.js", ...args], opts);
  expectNoStack(r, `seqc ${args.join(" ")}`);
  return r;
}

/** `seqc ARGS` without blocking (see runNodeAsync); no stack trace either. */
export async function runSeqcAsync(args: string[], opts: Omit<RunOptions, "input"> = {}): Promise<Run> {
  const r = await runNodeAsync(["bin/seqc.js", ...args], opts);
  expectNoStack(r, `seqc ${args.join(" ")}`);
  return r;
}

/** Runs a command that must succeed (exit 0, no stack trace) and returns what it printed on stdout. */
export function expectOk(what: string, r: Run): string {
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  expect(r.status, `${what}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** `seqc ARGS`, which must succeed: its stdout. */
export function seqc(...args: string[]): string {
  return expectOk(`seqc ${args.join(" ")}`, runSeqc(args));
}

/** A spec with one shape error: `loss mse(p, y)` on line 6, column 8, compares [2] with [3]. */
export const BAD_SHAPES = `model m {
  dim H = 4
  input x: [H]
  target y: [3]
  p = dense<2>(x)
  loss mse(p, y)
}
`;

/** A spec with a syntax error on line 3. */
export const BAD_SYNTAX = `# keep me
model m {
  a = f(x,, y)  # two commas
}
`;

/** How the CLI names a file in diagnostics: relative to the working directory (the root). */
export function shown(file: string): string {
  return relative(ROOT, file);
}

export interface Scratch {
  /** The folder (made before the test file's tests, removed after them). */
  readonly dir: string;
  /** Writes a file into the folder: its path. */
  file(name: string, text: string): string;
}

/** A temporary folder for one test file's runs. */
export function scratch(prefix: string): Scratch {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}

/**
 * Runs `seqc ARGS` with one of its outputs a pipe whose reader has already
 * gone (as `seqc ... | head -1` once head has exited): every write to it
 * fails with EPIPE. Resolves to the exit code and what the other output got.
 */
export function runSeqcClosed(args: string[], closed: "stdout" | "stderr", opts: { timeout?: number } = {}): Promise<{ status: number | null; signal: NodeJS.Signals | null; other: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["bin/seqc.js", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined } });
    child[closed].destroy();
    let other = "";
    child[closed === "stdout" ? "stderr" : "stdout"].on("data", (d: Buffer) => (other += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`seqc ${args.join(" ")} did not end within ${opts.timeout ?? 120_000} ms`));
    }, opts.timeout ?? 120_000);
    child.on("error", fail);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, other });
    });
  });
}
