/**
 * What bench/lm.ts runs, apart from running it (cheap to import: its unit test
 * loads nothing else): the options, the sizes and their FLOPs, the tables, and
 * the text as byte ids laid out in streams (bench/torch_lstm.py's `streams`
 * lays the same file out the same way).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BackendName } from "../src/backends/tfjs/engine.js";
import { option } from "./args.js";

export interface Size {
  H: number;
  T: number;
}

/**
 * FLOPs of one training step of the char-LM (multiply-adds count 2): the LSTM's gate GEMMs, 4H x (H + V)
 * per position, and the dense layer's, V x H per position, each done three times (forward, and the
 * gradients of the inputs and of the weights). Elementwise work is left out.
 */
export function lstmStepFlops(B: number, T: number, V: number, H: number): number {
  return 3 * 2 * B * T * 4 * H * (H + V) + 3 * 2 * B * T * V * H;
}

/** `--sizes 64x50,128x200`: H x T pairs. */
export function parseSizes(text: string): Size[] {
  return text.split(",").map((part) => {
    const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`bench lm: --sizes ${text}: give H x T pairs, e.g. 64x50,128x200 (not "${part}")`);
    return { H: Number(m[1]), T: Number(m[2]) };
  });
}

/** A markdown table; numbers are right-aligned. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const width = header.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => (r[i] ?? "").length)));
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || /^[\d.,x-]+[x%]?$/.test(String(r[i] ?? ""))));
  const line = (r: string[]) => `| ${r.map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join(" | ")} |`;
  return [line(header), `|${width.map((w, i) => (right[i] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`, ...cells.map(line)].join("\n");
}

export const PARTS = ["base", "scaling", "memory", "quality"] as const;
export type Part = (typeof PARTS)[number];

export interface LmBenchOptions {
  backend: BackendName;
  rounds: number;
  sizes: Size[];
  budget: number;
  parts: Part[];
  log: (line: string) => void;
}

const DEFAULT_SIZES: Size[] = [64, 128, 256, 512].flatMap((H) => [50, 200, 800].map((T) => ({ H, T })));
const QUICK_SIZES: Size[] = [
  { H: 64, T: 50 },
  { H: 128, T: 50 },
  { H: 128, T: 200 },
];

/** Options from the command line; throws a message for a bad one. */
export function lmBenchOptionsFrom(argv: string[]): LmBenchOptions {
  const quick = argv.includes("--quick");
  const num = (name: string, fallback: number, min: number): number => {
    const v = option(argv, name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(Number.isFinite(n) && n >= min)) throw new Error(`bench lm: ${name} ${v}: give a number >= ${min}`);
    return n;
  };
  const sizes = option(argv, "--sizes");
  const parts = option(argv, "--parts")?.split(",") ?? [...PARTS];
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`bench lm: --parts: unknown ${unknown.join(", ")}; known: ${PARTS.join(", ")}`);
  return {
    backend: (option(argv, "--backend") ?? process.env["SEQC_BENCH_BACKEND"] ?? "wasm") as BackendName,
    rounds: Math.round(num("--rounds", quick ? 3 : 10, 1)),
    sizes: sizes !== undefined ? parseSizes(sizes) : quick ? QUICK_SIZES : DEFAULT_SIZES,
    budget: num("--budget", quick ? 10 : 60, 1),
    parts: parts as Part[],
    log: (l) => console.log(l),
  };
}

// ------------------------------------------------------------------ the data

export const B = 32;
export const V = 64;
export const BASE = { H: 128, T: 50 };
export const LR_TIMING = 0.001;
export const LR_QUALITY = 0.002;

/** The text of this repository's sources and docs (sorted paths), as bytes. */
export function repositoryText(root: string): Buffer {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|md|seq)$/.test(name)) files.push(path);
    }
  };
  for (const dir of ["docs", "src", "specs", "bench", "test", "grammar"]) walk(join(root, dir));
  return Buffer.concat(files.map((f) => readFileSync(f)));
}

/** Byte ids: the V-1 most frequent bytes get 1..V-1 (by frequency), every other byte 0. */
export function byteIds(text: Buffer): Int32Array {
  const counts = new Array<number>(256).fill(0);
  for (const b of text) counts[b]!++;
  const order = counts.map((c, b) => ({ c, b })).sort((x, y) => y.c - x.c || x.b - y.b);
  const id = new Int32Array(256);
  order.slice(0, V - 1).forEach(({ b }, i) => (id[b] = i + 1));
  return Int32Array.from(text, (b) => id[b]!);
}

/** The windows of `ids` laid out as B streams (stream b is ids[b n .. (b+1) n]), windows of T: inputs and next-token targets, [B, T] each. */
export function streamWindows(ids: Int32Array, T: number): { x: Int32Array; y: Int32Array }[] {
  const n = Math.floor((ids.length - 1) / (B * T)) * T;
  const out: { x: Int32Array; y: Int32Array }[] = [];
  for (let t0 = 0; t0 < n; t0 += T) {
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      x.set(ids.subarray(b * n + t0, b * n + t0 + T), b * T);
      y.set(ids.subarray(b * n + t0 + 1, b * n + t0 + T + 1), b * T);
    }
    out.push({ x, y });
  }
  return out;
}
