/**
 * Training killed with SIGKILL at random moments, as a machine that fails
 * would: after each kill the model directory is absent (killed before the
 * first checkpoint), the previous complete checkpoint, or the new one, never a
 * mix; `seqc train --resume` (and the emitted trainer's `--init`) continue from
 * it, and a killed run's lock does not stop the next one. SEQC_KILLS sets the
 * kills per target (1 here; the 20 with SEQC_KILLS=20). Every file
 * operation of a save is stopped in turn, in-process, by
 * test/runtime/model-dir.test.ts.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadModel } from "../../src/runtime/model-dir.js";
import { Rng } from "../../src/runtime/init.js";
import { ROOT, seqc } from "../helpers/cli.js";

const KILLS = Number(process.env["SEQC_KILLS"] ?? "1") || 1;
const tmp = mkdtempSync(join(tmpdir(), "seqc-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An MLP big enough that a checkpoint is a few MB (weights and adam's slots): saves take a while. */
const SPEC = "model wide {\n  input x: [2]\n  target y: [1]\n  h = tanh(dense<512>(tanh(dense<512>(x))))\n  p = sigmoid(dense<1>(h))\n  loss mse(p, y)\n}\n";
const DATA = "specs/data/xor.jsonl";
const rng = new Rng(20261203);

/**
 * Runs `node ARGS` and sends it `signals` (SIGKILL; or SIGINT twice, 30 ms apart) `ms` after it started, or `ms`
 * after its output first matched `started` (so that a loaded machine's slow start-up does not decide the test):
 * how it ended.
 */
function killAfter(args: string[], ms: number, signals: NodeJS.Signals[] = ["SIGKILL"], started?: RegExp | (() => boolean)): Promise<{ killed: boolean; signal: NodeJS.Signals | null; code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let output = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = () => (timer ??= setTimeout(() => signals.forEach((s, i) => setTimeout(() => child.kill(s), 30 * i)), ms));
    const seen = (d: Buffer) => {
      output += d.toString();
      if (started instanceof RegExp && started.test(output)) arm();
    };
    const poll = typeof started === "function" ? setInterval(() => started() && (clearInterval(poll), arm()), 50) : undefined;
    child.stdout.on("data", seen);
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      seen(d);
    });
    if (started === undefined) arm();
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      done({ killed: signal === "SIGKILL", signal, code, stderr });
    });
  });
}

/** The emitted trainer's progress line: its training loop (and its Ctrl-C handler) is running. */
const TRAINING = /epoch \d+\//;
/** seqc train prints no line per epoch of a long run: a first record in its --log says its loop is running. */
const logged = (log: string) => () => existsSync(log) && statSync(log).size > 0;

const delay = () => 700 + Math.floor(rng.next() * 1500);

let spec = "";
/** The emitted trainer of SPEC. */
let trainerDir = "";
beforeAll(() => {
  spec = join(tmp, "wide.seq");
  writeFileSync(spec, SPEC);
  trainerDir = join(tmp, "trainer");
  seqc("compile", spec, "-o", trainerDir, "-q");
});

describe("SIGKILL at random moments", () => {
  it(`seqc train --resume, killed ${KILLS} times: a complete checkpoint each time, and the run continues from it`, async () => {
    const d = join(tmp, "seqc-out");
    seqc("train", spec, "--data", DATA, "-o", d, "--epochs", "1", "--backend", "cpu", "-q");
    let epochs = loadCheckpoint(d).meta.trained.epochs;
    const seen: number[] = [epochs];
    for (let k = 0; k < KILLS; k++) {
      const r = await killAfter(["bin/seqc.js", "train", spec, "--data", DATA, "-o", d, "--resume", "--epochs", "1000000", "--backend", "cpu", "-q"], delay());
      expect(r.killed, r.stderr).toBe(true);
      const c = loadCheckpoint(d);
      expect(c.meta.trained.epochs).toBeGreaterThanOrEqual(epochs);
      expect(c.weights.get("p.dense.W") ?? c.weights.values().next().value).toBeDefined();
      epochs = c.meta.trained.epochs;
      seen.push(epochs);
    }
    // The killed run's lock is no obstacle: one more epoch, to the end.
    seqc("train", spec, "--data", DATA, "-o", d, "--resume", "--epochs", String(epochs + 1), "--backend", "cpu", "-q");
    expect(loadCheckpoint(d).meta.trained.epochs).toBe(epochs + 1);
    console.log(`seqc train: ${KILLS} kills; checkpoint epochs after each: ${seen.join(", ")}; resumed to ${epochs + 1}`);
  });

  it(`the emitted trainer, killed ${KILLS} times: no model, or a complete one that --init continues from`, async () => {
    const out = trainerDir;
    const d = join(tmp, "trainer-out");
    const states: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      const init = existsSync(join(d, "model.json")) ? ["--init", d] : [];
      const r = await killAfter([join(out, "train.js"), "--data", DATA, "--out", d, "--epochs", "1000000", "-q", ...init], delay());
      expect(r.killed, r.stderr).toBe(true);
      if (!existsSync(join(d, "model.json"))) {
        states.push("none yet");
        continue;
      }
      const m = loadModel(d);
      expect(m.meta.model).toBe("wide");
      states.push(`epoch ${m.meta.trained.epochs}`);
    }
    const init = existsSync(join(d, "model.json")) ? ["--init", d] : [];
    const r = await killAfter([join(out, "train.js"), "--data", DATA, "--out", d, "--epochs", "1", "-q", ...init], 600_000);
    expect(r.killed).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(loadModel(d).meta.trained.epochs).toBe(1);
    console.log(`emitted trainer: ${KILLS} kills; the directory after each: ${states.join(", ")}`);
  });

  it("Ctrl-C twice stops at once (no second save awaited), leaving a complete checkpoint, in both trainers", async () => {
    const d = join(tmp, "twice");
    seqc("train", spec, "--data", DATA, "-o", d, "--epochs", "1", "--backend", "cpu", "-q");
    const r = await killAfter(["bin/seqc.js", "train", spec, "--data", DATA, "-o", d, "--resume", "--epochs", "1000000", "--backend", "cpu", "--log", `${d}.jsonl`], 300, ["SIGINT", "SIGINT"], logged(`${d}.jsonl`));
    // Killed by the second SIGINT, or done with the first one's save within the 30 ms.
    expect(r.signal === "SIGINT" || r.code === 130, r.stderr).toBe(true);
    expect(r.stderr).toContain("seqc: interrupted: saving after this batch (Ctrl-C again to stop at once;");
    expect(loadCheckpoint(d).meta.model).toBe("wide");
    const t = await killAfter([join(trainerDir, "train.js"), "--data", DATA, "--out", join(tmp, "twice-out"), "--epochs", "1000000", "--init", d], 300, ["SIGINT", "SIGINT"], TRAINING);
    expect(t.signal === "SIGINT" || t.code === 130, t.stderr).toBe(true);
    expect(t.stderr).toContain("train.js: interrupted: saving after this step (Ctrl-C again to stop at once;");
    if (existsSync(join(tmp, "twice-out", "model.json"))) expect(loadModel(join(tmp, "twice-out")).meta.model).toBe("wide");
  });
});
