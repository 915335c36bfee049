/**
 * The training log's records (src/runtime/train-log.ts): a window of
 * LOG_WINDOW updates makes one `steps` record with their mean loss and speed,
 * lines come back as written, and a bad line is named by its number.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOG_WINDOW } from "../../src/runtime/settings.js";
import { logLine, LogWriteError, parseLog, StepWindow, TrainLog, type LogRecord } from "../../src/runtime/train-log.js";
import { IoError } from "../../src/runtime/errors.js";

describe("StepWindow", () => {
  it("gives a record after every LOG_WINDOW updates: their mean loss, their tokens per second", () => {
    const w = new StepWindow(0);
    const at = (step: number) => ({ epoch: 1, step, time: step / 10, lr: 0.5 });
    const out: LogRecord[] = [];
    for (let i = 1; i <= 2 * LOG_WINDOW + 3; i++) {
      const r = w.add(i, 100, i * 100, at(i));
      if (r) out.push(r);
    }
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({ kind: "steps", epoch: 1, step: LOG_WINDOW, time: LOG_WINDOW / 10, lr: 0.5, loss: (LOG_WINDOW + 1) / 2, tokensPerSecond: 1000 });
    // The second window starts where the first ended: losses 11..20, LOG_WINDOW updates in LOG_WINDOW * 100 ms.
    expect(out[1]!.loss).toBe((3 * LOG_WINDOW + 1) / 2);
    expect(out[1]!.tokensPerSecond).toBe(1000);
  });
});

describe("logLine and parseLog", () => {
  it("read back what was written, in one field order", () => {
    const steps: LogRecord = { kind: "steps", epoch: 2, step: 30, time: 1.23456, loss: 0.5, lr: 0.01, tokensPerSecond: 1234.6 };
    const epoch: LogRecord = { kind: "epoch", epoch: 2, step: 32, time: 2, loss: 0.4, validationLoss: 0.45, lr: 0.01, tokensPerSecond: 999 };
    expect(logLine(steps)).toBe('{"kind":"steps","epoch":2,"step":30,"time":1.235,"loss":0.5,"lr":0.01,"tokensPerSecond":1235}\n');
    const { records, problems } = parseLog(logLine(steps) + "\n" + logLine(epoch));
    expect(problems).toEqual([]);
    expect(records).toEqual([{ ...steps, time: 1.235, tokensPerSecond: 1235 }, epoch]);
  });

  it("names each bad line by its number and says what is wrong", () => {
    const good = logLine({ kind: "epoch", epoch: 1, step: 1, time: 0, loss: 1, lr: 1, tokensPerSecond: 1 }).trim();
    const text = [good, "{oops", "[1]", '{"epoch":1,"loss":0.5}', '{"kind":"steps","epoch":1,"step":"10","time":0,"loss":null,"lr":1,"tokensPerSecond":1}', '{"kind":"epoch","epoch":1,"step":1,"time":0,"loss":1,"lr":1,"tokensPerSecond":1,"validationLoss":"x"}'].join("\n");
    const { records, problems } = parseLog(text);
    expect(records).toHaveLength(1);
    expect(problems).toEqual([
      { line: 2, message: "not JSON" },
      { line: 3, message: "not a JSON object" },
      { line: 4, message: '"kind" must be "steps" or "epoch" (a log of seqc train --log or an emitted trainer\'s --log)' },
      { line: 5, message: '"step", "loss" must be finite numbers' },
      { line: 6, message: '"validationLoss" must be a finite number' },
    ]);
  });
});

describe("TrainLog", () => {
  it("empties the file, or appends when resuming; a missing folder is an IoError naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "seqc-log-"));
    const path = join(dir, "log.jsonl");
    TrainLog.open(path, false).epoch(1, 1, 1, undefined, 0.1, 1);
    TrainLog.open(path, true).epoch(2, 2, 0.5, 0.7, 0.1, 1);
    expect(parseLog(readFileSync(path, "utf8")).records.map((r) => [r.epoch, r.loss, r.validationLoss])).toEqual([[1, 1, undefined], [2, 0.5, 0.7]]);
    TrainLog.open(path, false);
    expect(readFileSync(path, "utf8")).toBe("");
    expect(() => TrainLog.open(join(dir, "no", "log.jsonl"), false)).toThrow(IoError);
    expect(() => TrainLog.open(join(dir, "no", "log.jsonl"), false)).toThrow(/cannot write the log .*no.log\.jsonl: its folder does not exist/);
  });

  it("writes a steps record after every LOG_WINDOW updates, with the window's last lr, steps and epoch", () => {
    const path = join(mkdtempSync(join(tmpdir(), "seqc-log-")), "log.jsonl");
    const log = TrainLog.open(path, false);
    log.begin();
    for (let i = 1; i <= 2 * LOG_WINDOW + 3; i++) log.update(i, 10, 1, i, 1 / i);
    const records = parseLog(readFileSync(path, "utf8")).records;
    expect(records.map((r) => [r.kind, r.step, r.loss, r.lr])).toEqual([
      ["steps", LOG_WINDOW, (LOG_WINDOW + 1) / 2, 1 / LOG_WINDOW],
      ["steps", 2 * LOG_WINDOW, (3 * LOG_WINDOW + 1) / 2, 1 / (2 * LOG_WINDOW)],
    ]);
    expect(records.every((r) => r.time >= 0 && r.tokensPerSecond > 0)).toBe(true);
  });

  it("a record that cannot be written (a full disk: /dev/full) is a LogWriteError naming the log, in words", () => {
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
    // Opening only empties the file: a full disk shows at the first record.
    const log = TrainLog.open("/dev/full", false);
    log.begin();
    expect(() => log.epoch(1, 1, 1, undefined, 0.1, 1)).toThrow(new LogWriteError("cannot write the log /dev/full: the disk is full"));
    expect(() => log.epoch(1, 1, 1, undefined, 0.1, 1)).toThrow(IoError);
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });
});
