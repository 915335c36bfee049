/**
 * Parameter initialisation shared by every target: a seeded generator and the
 * initialisers of the language, computed in plain JS so that a seed gives the
 * same starting weights in the tfjs target and in emitted TypeScript.
 */
import type { InitSpec } from "../graph/graph.js";

/** mulberry32: a small, fast, seedable 32-bit generator. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator's state (a 32-bit unsigned integer), e.g. for a checkpoint. */
  getState(): number {
    return this.state;
  }

  /** Restores a state from getState(): the generator continues exactly where it was. */
  setState(state: number): void {
    this.state = state >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [-limit, limit). */
  uniform(limit: number): number {
    return (this.next() * 2 - 1) * limit;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Derives an independent seed for each parameter from the run's seed and the parameter's name. */
export function paramSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Fan-in and fan-out of a parameter shape, in seqc's layouts: a matrix [out, in]
 * (W @ x), a kernel [F, C, K] or [F, F, C, K] (receptive field times channels).
 */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[1]!, fanOut: shape[0]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: receptive * shape[shape.length - 2]!, fanOut: receptive * shape[shape.length - 1]! };
}

/** Initial values of a parameter, row-major. */
export function initialValues(init: InitSpec, shape: number[], rng: Rng): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  switch (init.kind) {
    case "zeros":
      return out;
    case "ones":
      return out.fill(1);
    case "const":
      return out.fill(init.value!);
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = rng.uniform(init.value!);
      return out;
    case "normal":
      for (let i = 0; i < n; i++) out[i] = rng.normal() * init.value!;
      return out;
    case "glorot": {
      const { fanIn, fanOut } = fans(shape);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = rng.uniform(limit);
      return out;
    }
    case "orthogonal":
      return orthogonal(shape, rng);
  }
}

/** A (semi-)orthogonal matrix by Gram-Schmidt on normal rows (columns when there are more rows). */
function orthogonal(shape: number[], rng: Rng): Float64Array {
  const rows = shape[0] ?? 1;
  const cols = shape.slice(1).reduce((a, b) => a * b, 1);
  const tall = rows > cols;
  const [r, c] = tall ? [cols, rows] : [rows, cols];
  const m = Array.from({ length: r }, () => Float64Array.from({ length: c }, () => rng.normal()));
  for (let i = 0; i < r; i++) {
    const v = m[i]!;
    for (let j = 0; j < i; j++) {
      const u = m[j]!;
      let dot = 0;
      for (let k = 0; k < c; k++) dot += v[k]! * u[k]!;
      for (let k = 0; k < c; k++) v[k]! -= dot * u[k]!;
    }
    let norm = 0;
    for (let k = 0; k < c; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < c; k++) v[k]! /= norm;
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < r; i++) for (let k = 0; k < c; k++) out[tall ? k * cols + i : i * cols + k] = m[i]![k]!;
  return out;
}
