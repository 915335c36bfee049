/**
 * `seqc train` checkpoints with the real CLI: --resume repeats the losses of an
 * uninterrupted run, a non-finite loss stops with exit 1 and keeps the last good
 * checkpoint, Ctrl-C exits 130 leaving a checkpoint `seqc eval` reads and no
 * temporary files, batch_norm on a ragged batch tfjs must split by length
 * stops with exit 1; an output it cannot write (a log in a missing folder, a
 * model directory onto or under a file) is refused before training, exit 2;
 * so is a bad flag value, with the emitted trainer's message. --init starts
 * from a model directory of the same model.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../../src/cli/main.js";
import { runSeqc } from "../../helpers/cli.js";
import { parseLog } from "../../../src/runtime/train-log.js";

const out = mkdtempSync(join(tmpdir(), "seqc-ckpt-"));

const seqc = (...args: string[]) => runSeqc(args);

/** A --log's epoch records, without what differs between runs (time, speed). */
function logOf(path: string): { epoch: number; step: number; loss: number; validationLoss?: number }[] {
  return parseLog(readFileSync(path, "utf8")).records.filter((r) => r.kind === "epoch").map(({ epoch, step, loss, validationLoss }) => ({ epoch, step, loss, ...(validationLoss !== undefined ? { validationLoss } : {}) }));
}

const XOR = ["specs/mlp_xor.seq", "--data", "specs/data/xor.jsonl", "--backend", "cpu", "-q"];
const AB = ["specs/ab_recognizer.seq", "--data", "specs/data/ab_recognizer.jsonl", "--backend", "cpu", "-q"];

describe("seqc train: checkpoints", () => {
  it("--resume after N/2 epochs gives the same per-epoch losses as N epochs straight (sgd and adam with validation)", () => {
    for (const [name, extra] of [
      ["xor", [...XOR]],
      ["ab", [...AB, "--optimizer", "adam", "--lr", "0.01", "--validation", "0.2"]],
    ] as const) {
      const n = name === "xor" ? 60 : 8;
      const straight = join(out, `${name}-straight`);
      const resumed = join(out, `${name}-resumed`);
      expect(seqc("train", ...extra, "-o", straight, "--epochs", String(n), "--log", `${straight}.jsonl`).status).toBe(0);
      expect(seqc("train", ...extra, "-o", resumed, "--epochs", String(n / 2), "--log", `${resumed}.jsonl`).status).toBe(0);
      expect(logOf(`${resumed}.jsonl`)).toHaveLength(n / 2);
      const r = seqc("train", ...extra, "-o", resumed, "--epochs", String(n), "--log", `${resumed}.jsonl`, "--resume");
      expect(r.status, r.stderr).toBe(0);
      const a = logOf(`${straight}.jsonl`);
      const b = logOf(`${resumed}.jsonl`);
      expect(a.map((l) => l.epoch)).toEqual([...Array(n).keys()].map((i) => i + 1));
      expect(b).toEqual(a);
      expect(readFileSync(join(resumed, "weights.bin"))).toEqual(readFileSync(join(straight, "weights.bin")));
      console.log(`${name}: ${n} epochs straight and ${n / 2} + --resume ${n / 2}: identical losses (last ${a[n - 1]!.loss})`);
    }
  });

  it("--resume refuses (exit 2) without a checkpoint, and for another model", () => {
    const none = seqc("train", ...XOR, "-o", join(out, "nothing-here"), "--resume");
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/--resume: there is no checkpoint in .*nothing-here/);
    expect(seqc("train", ...XOR, "-o", join(out, "xor-other"), "--epochs", "2").status).toBe(0);
    const other = seqc("train", ...AB, "-o", join(out, "xor-other"), "--resume");
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds model mlp_xor, not ab_recognizer/);
  });

  it("a non-finite loss stops the run with exit 1 and keeps the last good checkpoint", () => {
    const dir = join(out, "nan");
    const r = seqc("train", ...XOR, "-o", dir, "--lr", "1e39", "--epochs", "50");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/seqc: the loss became (NaN|-?Infinity) in epoch \d+; training stopped\. The last good checkpoint/);
    const failedEpoch = Number(/in epoch (\d+)/.exec(r.stderr)![1]);
    const meta = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as { trained: { epochs: number } };
    // The checkpoint is from before the failing epoch (the last epoch whose weights were all finite).
    expect(meta.trained.epochs).toBeLessThan(failedEpoch);
    const buf = readFileSync(join(dir, "weights.bin"));
    const weights = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    expect(weights.length).toBeGreaterThan(0);
    expect([...weights].every(Number.isFinite)).toBe(true);
    expect(seqc("eval", dir, "--data", "specs/data/xor.jsonl", "--format", "json").status).toBe(0);
    console.log(`non-finite loss: exit 1, checkpoint of epoch ${meta.trained.epochs} kept with ${weights.length} finite weights`);
  });

  it("batch_norm on a ragged batch that must run by length: exit 1 at the batch_normalize, saying why (no stack trace)", () => {
    // split along the padded time axis has no padding rule: the batch would run as groups, each with its own statistics.
    const spec = join(out, "grouped.seq");
    writeFileSync(spec, "model m {\n  dim T\n  input x: [T, 2]\n  target y: [1]\n  a, b = split<2>(flatten(batch_norm(x)))\n  loss square(sum(a * b) - sum(y))\n}\n");
    writeFileSync(join(out, "grouped.jsonl"), '{"x": [[1, 2], [3, 4], [5, 6]], "y": [1]}\n{"x": [[1, 2]], "y": [0]}\n');
    const r = seqc("train", spec, "--data", join(out, "grouped.jsonl"), "-o", join(out, "grouped"), "--backend", "cpu", "--validation", "0", "-q");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^seqc: std\/dense\.seq:\d+:\d+ \(.*batch_normalize.*\): batch_normalize cannot train on a batch of examples of different lengths here: another op of the model cannot run a padded batch \(split .*\), .* or train with the ts target \(seqc compile --target ts\), whose batches hold examples of one length\n$/);
  });

  it("Ctrl-C exits 130, leaving a checkpoint seqc eval reads and no temporary files", async () => {
    const dir = join(out, "sigint");
    const child = spawn(process.execPath, ["bin/seqc.js", "train", ...AB, "-o", dir, "--epochs", "100000", "--log", `${dir}.jsonl`], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let exited: number | null | undefined;
    const exit = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve((exited = c))));
    // Wait until training runs (a few epochs logged), however long a loaded machine takes, then interrupt.
    while (!(existsSync(`${dir}.jsonl`) && readFileSync(`${dir}.jsonl`, "utf8").split("\n").length > 3)) {
      if (exited !== undefined) throw new Error(`training stopped before it was interrupted (exit ${exited}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const sent = Date.now();
    child.kill("SIGINT");
    // Exit 130 long before the 100000 epochs: the interrupt stopped it (how fast depends on the machine's load; printed).
    const code = await exit;
    const seconds = (Date.now() - sent) / 1000;
    expect(code, stderr).toBe(130);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const r = seqc("eval", dir, "--data", "specs/data/ab_recognizer_test5.jsonl", "--format", "json");
    expect(r.status, r.stderr).toBe(0);
    // And the interrupted run continues.
    const resumed = seqc("train", ...AB, "-o", dir, "--epochs", String(logOf(`${dir}.jsonl`).length + 2), "--resume", "--log", `${dir}.jsonl`);
    expect(resumed.status, resumed.stderr).toBe(0);
    console.log(`SIGINT: exit 130 after ${seconds.toFixed(2)} s; checkpoint read by seqc eval; resumed`);
  });
});

describe("seqc train --init", () => {
  it("starts from a model directory's weights, saying so; another model's are refused (exit 2, naming both)", () => {
    const base = join(out, "init-base");
    expect(seqc("train", ...XOR, "-o", base, "--epochs", "2").status).toBe(0);
    // No epochs: the saved weights are those it started from. Without -q: what it trains on, as the emitted trainer says it.
    const from = runSeqc(["train", ...XOR.filter((a) => a !== "-q"), "-o", join(out, "init-from"), "--epochs", "0", "--validation", "0.25", "--init", base]);
    expect(from.status, from.stderr).toBe(0);
    expect(from.stderr).toContain(`seqc: training mlp_xor on 3 examples (1 held out), starting from ${base} with TensorFlow.js`);
    expect(readFileSync(join(out, "init-from", "weights.bin")).equals(readFileSync(join(base, "weights.bin")))).toBe(true);
    const other = seqc("train", ...AB, "-o", join(out, "init-other"), "--init", base);
    expect(other.status).toBe(2);
    expect(other.stderr).toBe(`seqc: --init: ${base}: it holds model mlp_xor, not ab_recognizer\n`);
    expect(existsSync(join(out, "init-other"))).toBe(false);
  });
});

describe("seqc train: an output it cannot write is refused before training", () => {
  it("--log in a folder that does not exist: exit 2, named", () => {
    const r = runSeqc(["train", ...XOR, "--epochs", "1", "-o", join(out, "m1"), "--log", join(out, "missing", "log.jsonl")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write the log .*missing.*its folder does not exist/);
    expect(r.stderr).not.toContain("epoch");
  });

  it("-o onto a file, or under one: exit 2, named", () => {
    const file = join(out, "a-file");
    writeFileSync(file, "x");
    for (const out of [file, join(file, "sub")]) {
      const r = runSeqc(["train", ...XOR, "--epochs", "1", "-o", out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`cannot write the model directory ${out}: it or a folder above it is a file`);
    }
  });

  it("a model whose parameters need more than --max-memory: exit 2 with the figures, before training, nothing written", () => {
    const spec = join(out, "huge.seq");
    writeFileSync(spec, "model huge {\n  dim H = 40000\n  input x: [H]\n  target y: [H]\n  loss mse(dense<H>(x), y)\n}\n");
    const row = `[${Array(40000).fill(0).join(",")}]`;
    writeFileSync(join(out, "huge.jsonl"), `{"x":${row},"y":${row}}\n`);
    const r = runSeqc(["train", spec, "--data", join(out, "huge.jsonl"), "-o", join(out, "huge"), "--backend", "cpu"]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("seqc: model huge has 1,600,040,000 parameters: training it needs at least 23.8 GB (4-byte values for the parameters, their gradients and adam's 2 slots each), more than --max-memory 4 GB");
    expect(existsSync(join(out, "huge"))).toBe(false);
  });

  it("a directory another run is training into: exit 2 before training, its files untouched (with --resume too)", () => {
    const d = join(out, "busy");
    expect(runSeqc(["train", ...XOR, "--epochs", "1", "-o", d]).status).toBe(0);
    const before = readFileSync(join(d, "weights.bin"));
    // The lock of a run that is going: this test's process.
    writeFileSync(join(d, ".seqc-lock"), `${process.pid}\n`);
    for (const extra of [[], ["--resume"]]) {
      const r = runSeqc(["train", ...XOR, "--epochs", "2", "-o", d, ...extra]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`seqc: ${d} is being written by another training run (process ${process.pid})`);
    }
    expect(readFileSync(join(d, "weights.bin")).equals(before)).toBe(true);
    expect(readFileSync(join(d, ".seqc-lock"), "utf8")).toBe(`${process.pid}\n`);
  });
});

describe("seqc train: flag values", () => {
  /** seqc's main in this process (bad flags stop it before any spec is read): its exit code and standard error. */
  async function inProcess(argv: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      stderr += String(s);
      return true;
    });
    try {
      return { code: await main(argv), stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it("a bad value is exit 2 with the emitted trainer's message (runtime/args.ts trainFlags), before training", async () => {
    const cases: [string[], string][] = [
      [["--batch", "0"], "seqc: --batch 0: expected a whole number >= 1"],
      [["--validation", "1"], "seqc: --validation 1: expected a fraction in [0, 1)"],
      [["--lr", "abc"], 'seqc: --lr needs a number, not "abc"'],
      [["--epochs", "-1"], "seqc: --epochs -1: expected a whole number >= 0"],
      [["--warmup", "1.5"], "seqc: --warmup needs a whole number, not 1.5"],
      [["--max-memory", "0"], "seqc: --max-memory 0: a number of GB > 0"],
      [["--lr-schedule", "cosine"], "seqc: --lr-schedule cosine: cosine needs steps"],
      // yargs' own objection: a usage error too, not an internal one.
      [["--epochs"], "seqc: Not enough arguments following: epochs"],
    ];
    for (const [flags, message] of cases) {
      const r = await inProcess(["train", ...XOR, "-o", join(out, "flags"), ...flags]);
      expect(r.code, flags.join(" ")).toBe(2);
      expect(r.stderr.split("\n")[0], flags.join(" ")).toBe(message);
    }
    expect(existsSync(join(out, "flags"))).toBe(false);
  });
});
