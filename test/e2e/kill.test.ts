/**
 * Training killed with SIGKILL at random moments, as a machine that fails
 * would: after each kill the model directory is absent (killed before the
 * first checkpoint), the previous complete checkpoint, or the new one, never a
 * mix; `seqc train --resume` (and the emitted trainer's `--init`) continue from
 * it, and a killed run's lock does not stop the next one. SEQC_KILLS sets the
 * kills per target (3 here; the 20 with SEQC_KILLS=20). Every file
 * operation of a save is stopped in turn, in-process, by
 * test/runtime/model-dir.test.ts.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadModel } from "../../src/runtime/model-dir.js";
import { Rng } from "../../src/runtime/init.js";
import { ROOT, seqc } from "../helpers/cli.js";

const KILLS = Number(process.env["SEQC_KILLS"] ?? "3") || 3;
const tmp = mkdtempSync(join(tmpdir(), "seqc-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An MLP big enough that a checkpoint is a few MB (weights and adam's slots): saves take a while. */
const SPEC = "model wide {\n  input x: [2]\n  target y: [1]\n  h = tanh(dense<512>(tanh(dense<512>(x))))\n  p = sigmoid(dense<1>(h))\n  loss mse(p, y)\n}\n";
const DATA = "specs/data/xor.jsonl";
const rng = new Rng(20261203);

/** Runs `node ARGS` and SIGKILLs it after `ms` (if it is still running): how it ended. */
function killAfter(args: string[], ms: number): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ killed: signal === "SIGKILL", code, stderr });
    });
  });
}

const delay = () => 700 + Math.floor(rng.next() * 2300);

let spec = "";
beforeAll(() => {
  spec = join(tmp, "wide.seq");
  writeFileSync(spec, SPEC);
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
    const out = join(tmp, "trainer");
    seqc("compile", spec, "-o", out, "-q");
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
});
