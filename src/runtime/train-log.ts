/**
 * The training log (`--log FILE` of `seqc train` and of an emitted trainer):
 * one JSON line per window of LOG_WINDOW updates and one per epoch, in one
 * format for both trainers, read back by `seqc plot`. Runtime file: imports
 * only its siblings and Node built-ins.
 *
 *   {"kind":"steps","epoch":1,"step":10,"time":0.41,"loss":0.69,"lr":0.01,"tokensPerSecond":5120}
 *   {"kind":"epoch","epoch":1,"step":13,"time":0.52,"loss":0.68,"validationLoss":0.7,"lr":0.01,"tokensPerSecond":4990}
 */
import { appendFileSync, writeFileSync } from "node:fs";
import { IoError, ioReason } from "./errors.js";
import { LOG_WINDOW } from "./settings.js";


/** One line of a training log. */
export interface LogRecord {
  /** `steps`: a window of LOG_WINDOW updates; `epoch`: the end of an epoch. */
  kind: "steps" | "epoch";
  /** The epoch it belongs to, from 1. */
  epoch: number;
  /** Updates since training began (a resumed run counts on from its checkpoint). */
  step: number;
  /** Seconds since this run started (a resumed run starts again at 0). */
  time: number;
  /** The mean training loss over the window's updates, or over the epoch's (weighted by rows). */
  loss: number;
  /** At the end of an epoch, with held-out data. */
  validationLoss?: number;
  /** The learning rate of the window's last update (of the schedule, settings.ts learningRate). */
  lr: number;
  /** Tokens (examples times steps of the first free length dim) per second over the window or the epoch. */
  tokensPerSecond: number;
}

/** The fields a record must have as numbers. */
const NUMBERS = ["epoch", "step", "time", "loss", "lr", "tokensPerSecond"] as const;

/** A record as one line of JSON (with its newline), its fields in one order; times to the millisecond, tokens per second whole. */
export function logLine(r: LogRecord): string {
  const { kind, epoch, step, time, loss, validationLoss, lr, tokensPerSecond } = r;
  return JSON.stringify({ kind, epoch, step, time: Math.round(time * 1000) / 1000, loss, ...(validationLoss !== undefined ? { validationLoss } : {}), lr, tokensPerSecond: Math.round(tokensPerSecond) }) + "\n";
}

/** Running sums of the updates since the last `steps` record. */
export class StepWindow {
  private losses = 0;
  private updates = 0;
  private tokens = 0;
  private since: number;

  constructor(now: number) {
    this.since = now;
  }

  /**
   * Counts one update (its batch's mean loss and its tokens) at `now` (ms);
   * after LOG_WINDOW of them, returns their record and starts a new window.
   */
  add(loss: number, tokens: number, now: number, at: { epoch: number; step: number; time: number; lr: number }): LogRecord | undefined {
    this.losses += loss;
    this.tokens += tokens;
    if (++this.updates < LOG_WINDOW) return undefined;
    const r: LogRecord = { kind: "steps", ...at, loss: this.losses / this.updates, tokensPerSecond: this.tokens / Math.max((now - this.since) / 1000, 1e-9) };
    this.losses = this.updates = this.tokens = 0;
    this.since = now;
    return r;
  }
}

/**
 * A log that could not be written while training (a full disk): both trainers
 * stop, save the model where it is, and report this (one line, exit 2, as any
 * IoError).
 */
export class LogWriteError extends IoError {}

/** What `cannot write the log PATH` says, with why in words. */
function logFailure(path: string, e: unknown): string {
  return `cannot write the log ${path}: ${(e as { code?: string }).code === "ENOENT" ? "its folder does not exist" : ioReason(e)}`;
}

/**
 * A run's training log, as both trainers write it: opened before training (a file it cannot write is an
 * IoError then, not after the work), `begin` when the run starts, `update` after each update (a `steps` record
 * every LOG_WINDOW of them) and `epoch` at the end of each epoch. Times are seconds since `begin`. A record
 * that cannot be written is a LogWriteError.
 */
export class TrainLog {
  private started = performance.now();
  private window = new StepWindow(this.started);

  private constructor(private readonly path: string) {}

  /** Opens PATH: emptied, or kept when a resumed run appends. */
  static open(path: string, append: boolean): TrainLog {
    try {
      if (append) appendFileSync(path, "");
      else writeFileSync(path, "");
    } catch (e) {
      throw new IoError(logFailure(path, e));
    }
    return new TrainLog(path);
  }

  /** The run starts now (`now`: a time in ms on the clock of later calls; a trainer in another process gives its own). */
  begin(now = performance.now()): void {
    this.started = now;
    this.window = new StepWindow(this.started);
  }

  /** One update: its batch's mean loss and tokens, its epoch (from 1), the updates so far and its learning rate. */
  update(loss: number, tokens: number, epoch: number, step: number, lr: number, now = performance.now()): void {
    const r = this.window.add(loss, tokens, now, { epoch, step, time: this.seconds(now), lr });
    if (r) this.write(r);
  }

  /** The end of an epoch: its mean loss, validation loss (with held-out data), its last update's learning rate and speed. */
  epoch(epoch: number, step: number, loss: number, validationLoss: number | undefined, lr: number, tokensPerSecond: number, now = performance.now()): void {
    this.write({ kind: "epoch", epoch, step, time: this.seconds(now), loss, ...(validationLoss !== undefined ? { validationLoss } : {}), lr, tokensPerSecond });
  }

  private seconds(now: number): number {
    return (now - this.started) / 1000;
  }

  /** Appends a record; a failure is a LogWriteError naming the log. */
  private write(r: LogRecord): void {
    try {
      appendFileSync(this.path, logLine(r));
    } catch (e) {
      throw new LogWriteError(logFailure(this.path, e));
    }
  }
}

/** A line of a log that is not a record, by its line number (from 1). */
export interface LogProblem {
  line: number;
  message: string;
}

/** The records of a log's text, and what is wrong with the lines that are not records (blank lines are skipped). */
export function parseLog(text: string): { records: LogRecord[]; problems: LogProblem[] } {
  const records: LogRecord[] = [];
  const problems: LogProblem[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      problems.push({ line: i + 1, message: "not JSON" });
      return;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      problems.push({ line: i + 1, message: "not a JSON object" });
      return;
    }
    const o = v as Record<string, unknown>;
    if (o.kind !== "steps" && o.kind !== "epoch") {
      problems.push({ line: i + 1, message: `"kind" must be "steps" or "epoch" (a log of seqc train --log or an emitted trainer's --log)` });
      return;
    }
    const missing = NUMBERS.filter((k) => typeof o[k] !== "number" || !Number.isFinite(o[k]));
    if (o.validationLoss !== undefined && (typeof o.validationLoss !== "number" || !Number.isFinite(o.validationLoss))) missing.push("validationLoss" as never);
    if (missing.length > 0) {
      problems.push({ line: i + 1, message: `${missing.map((k) => `"${k}"`).join(", ")} must be ${missing.length > 1 ? "finite numbers" : "a finite number"}` });
      return;
    }
    records.push(o as unknown as LogRecord);
  });
  return { records, problems };
}
