/**
 * Output to a closed pipe (`seqc ir spec.seq | head -1` after head has exited)
 * ends seqc quietly with exit code 0, for every command that prints a lot, on
 * standard output or on standard error: no EPIPE stack trace, no message.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSeqc, runSeqcClosed } from "../helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "seqc-pipes-"));
const HELLO = join(tmp, "hello");

beforeAll(() => {
  const r = runSeqc(["train", "specs/char_rnn_hello.seq", "--data", "specs/data/hello.txt", "--epochs", "1", "--backend", "cpu", "-q", "-o", HELLO]);
  expect(r.status, r.stderr).toBe(0);
}, 240_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CASES: [string, string[], "stdout" | "stderr"][] = [
  ["ir", ["ir", "specs/seq2seq_attention.seq"], "stdout"],
  ["summary", ["summary", "specs/lenet5.seq"], "stdout"],
  ["check of many files, human report on stderr", ["check", "specs/invalid/*.seq"], "stderr"],
  ["check of many files, --format json on stdout", ["check", "--format", "json", "specs/invalid/*.seq"], "stdout"],
  ["check of many files, --format sarif on stdout (through yargs)", ["--format", "sarif", "check", "specs/invalid/*.seq"], "stdout"],
  ["fmt --check, its report on stderr", ["fmt", "--check", "specs/invalid/*.seq"], "stderr"],
  ["compile, its report on stdout", ["compile", "specs/char_rnn_hello.seq", "-o", join(tmp, "compiled")], "stdout"],
  ["sample", ["sample", HELLO, "--prime", "h", "--length", "200", "--backend", "cpu"], "stdout"],
  ["predict", ["predict", HELLO, "--data", "specs/data/hello.txt", "--backend", "cpu"], "stdout"],
  ["predict --format json", ["predict", HELLO, "--data", "specs/data/hello.txt", "--format", "json", "--backend", "cpu"], "stdout"],
];

describe("output to a closed pipe ends quietly", () => {
  it.each(CASES)("%s", async (_what, args, closed) => {
    const r = await runSeqcClosed(args, closed);
    expect(r.other).not.toMatch(/EPIPE|^\s+at /m);
    expect(r.other).not.toContain("internal error");
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
  }, 120_000);
});
