/**
 * `seqc check` on hostile input: a binary file, a 5 MB line, 10,000 levels of
 * parentheses or brackets, a 200 KB line in a spec, a file of a thousand
 * mistakes. Each answers with exit status 1, a few diagnostics and bounded
 * output, without a stack trace or an internal error. (Each also answers in
 * well under 2 s on an idle machine; the suite runs on loaded ones, so time is
 * not asserted here.)
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runSeqc, type Run } from "../helpers/cli.js";

/** Output (stdout and stderr together) stays under this; for a file of a thousand mistakes (50 shown, as JSON or frames) under MAX_MANY. */
const MAX_OUTPUT = 20_000;
const MAX_MANY = 64_000;

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "seqc-hostile-"));
  if (existsSync(join(ROOT, "dist/src/cli/main.js"))) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  spawnSync(npm, ["run", "build"], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
}, 200_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Bytes from a fixed-seed generator (xorshift32), so that every run checks the same file. */
function randomBytes(n: number, seed: number, avoidZero = false): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = avoidZero ? 1 + (x % 255) : x & 0xff;
  }
  return out;
}

const nested = (open: string, close: string, n: number) => `model m {\n  input x: [3]\n  target y: [3]\n  a = ${open.repeat(n)}x${close.repeat(n)}\n  loss mse(a, y)\n}\n`;

const HOSTILE: [string, () => string | Buffer, number?][] = [
  ["a 4 KB random binary file", () => randomBytes(4096, 0x5eed)],
  ["a 4 KB random binary file without NUL bytes", () => randomBytes(4096, 0xbeef, true)],
  ["a 5 MB single line", () => "x".repeat(5 * 1024 * 1024)],
  ["a 5 MB single line of terms", () => `model m {\n  a = ${"x + ".repeat(1_310_000)}x\n}\n`],
  ["10,000-deep parentheses", () => nested("(", ")", 10_000)],
  ["10,000-deep brackets", () => `model m {\n  input x: ${"[".repeat(10_000)}3${"]".repeat(10_000)}\n}\n`],
  ["10,000-deep calls", () => nested("f(", ")", 10_000)],
  ["a 200 KB line in a spec", () => `model m {\n  input x: [3]\n  target y: [3]\n  a = x + ${"b".repeat(200_000)}\n  loss mse(a, y)\n}\n`],
  ["a thousand unknown names", () => `model m {\n  input x: [3]\n  target y: [3]\n${Array.from({ length: 1000 }, (_, i) => `  a${i} = x + b${i}`).join("\n")}\n  loss mse(x, y)\n}\n`, MAX_MANY],
  ["a thousand broken statements", () => `model m {\n${"  a = = 1\n".repeat(1000)}}\n`, MAX_MANY],
];

function check(file: string, format: string): Run {
  return runSeqc(["check", file, "--format", format, "--color=false"], { timeout: 60_000 });
}

function expectBounded(r: Run, max = MAX_OUTPUT): void {
  expect(r.status, r.stderr.slice(0, 2000)).toBe(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain("internal error");
  expect(r.stdout.length + r.stderr.length).toBeLessThan(max);
}

describe("seqc check on hostile input", () => {
  it.each(HOSTILE)("%s: exit 1, bounded output, no crash (human and json; sarif and github for a thousand mistakes)", (name, make, max) => {
    const file = join(tmp, `${name.replace(/\W+/g, "_")}.seq`);
    writeFileSync(file, make());
    const human = check(file, "human");
    expectBounded(human, max);
    expect(human.stderr).toMatch(/^error\[SEQ\d{4}\]/);
    const json = check(file, "json");
    expectBounded(json, max);
    const report = JSON.parse(json.stdout) as { diagnostics: unknown[]; summary: { errors: number; omitted: number } };
    expect(report.diagnostics.length).toBeGreaterThan(0);
    expect(report.diagnostics.length).toBeLessThanOrEqual(50);
    expect(report.summary.errors).toBe(report.diagnostics.length + report.summary.omitted);
    // The other formats render the same diagnostics: spawned where there are the most of them.
    if (max === MAX_MANY) for (const format of ["sarif", "github"]) expectBounded(check(file, format), max);
  });

  it("shows the line of a 200 KB line around the column, not whole", () => {
    const file = join(tmp, "long_line.seq");
    writeFileSync(file, HOSTILE.find(([n]) => n.startsWith("a 200 KB"))![1]());
    const r = check(file, "human");
    expect(r.stderr).toContain("unknown name `bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    const row = r.stderr.split("\n").find((l) => l.startsWith("> 4 | "))!;
    expect(row).toMatch(/^> 4 \| {3}a = x \+ b+…$/);
    expect(row.length).toBeLessThan(200);
  });

  it("shows 50 diagnostics of a file and counts the rest", () => {
    const file = join(tmp, "many.seq");
    writeFileSync(file, HOSTILE.find(([n]) => n === "a thousand unknown names")![1]());
    const r = check(file, "human");
    expect(r.stderr.match(/^error\[/gm)).toHaveLength(50);
    expect(r.stderr).toMatch(/\.\.\. 950 more diagnostics in .*many\.seq not shown \(at most 50 per file\)/);
    expect(r.stderr.trimEnd().split("\n").at(-1)).toBe("1000 errors");
  });
});
