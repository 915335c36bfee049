/** Running the real CLI (bin/seqc.js) in tests, from the repository root, as a user would. */
import { spawn, spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `seqc ARGS`: whatever its exit code, a stack trace in what it prints fails the test. */
export function runSeqc(args: string[], opts: { env?: Record<string, string | undefined>; timeout?: number; input?: string } = {}): Run {
  const r = spawnSync(process.execPath, ["bin/seqc.js", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    input: opts.input ?? "",
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...opts.env },
    timeout: opts.timeout ?? 240_000,
  });
  if (r.error) throw r.error;
  expect(r.stderr, `seqc ${args.join(" ")}`).not.toMatch(/^\s+at /m);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
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
