/**
 * Parameter initialisation of every target: the seeded generator and the
 * initialisers of the language. The tfjs target imports this file and emitted
 * trainers get a copy of it, so a seed gives the same starting weights in both
 * by construction (same generator, same per-parameter seeds, same order of
 * draws). No Node built-ins, no imports.
 */

/** How a parameter starts (the spec's `= glorot`, `= uniform(0.1)`, `= 0.5`, ...). */
export interface InitSpec {
  kind: "zeros" | "ones" | "glorot" | "orthogonal" | "uniform" | "normal" | "const";
  /** The scale of uniform, the deviation of normal, the value of const. */
  value?: number;
}

/** mulberry32: a small, fast, seedable 32-bit generator . */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator's state (a 32-bit unsigned integer). */
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

  /** Standard normal (Box-Muller, one draw of two uniforms per number). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** The seed of one parameter: derived from the run's seed and the parameter's name (FNV-1a style). */
export function paramSeed(seed: number, name: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Fan-in and fan-out of a shape in seqc's layouts: [out, in] matrices, [F, C, K] / [F, F, C, K] kernels. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  const n = shape.length;
  if (n === 0) return { fanIn: 1, fanOut: 1 };
  if (n === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (n === 2) return { fanIn: shape[1]!, fanOut: shape[0]! };
  let receptive = 1;
  for (let i = 0; i < n - 2; i++) receptive *= shape[i]!;
  return { fanIn: receptive * shape[n - 2]!, fanOut: receptive * shape[n - 1]! };
}

/** The initial values of a parameter of `shape`, row-major, drawing from `rng`. */
export function initialValues(init: InitSpec, shape: readonly number[], rng: Rng): Float64Array {
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Float64Array(n);
  switch (init.kind) {
    case "zeros":
      return out;
    case "ones":
      return out.fill(1);
    case "const":
      return out.fill(init.value ?? 0);
    case "uniform": {
      const limit = init.value ?? 0.05;
      for (let i = 0; i < n; i++) out[i] = rng.uniform(limit);
      return out;
    }
    case "normal": {
      const std = init.value ?? 0.05;
      for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
      return out;
    }
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

/** A (semi-)orthogonal matrix: Gram-Schmidt on normal rows (on columns when there are more rows than columns). */
function orthogonal(shape: readonly number[], rng: Rng): Float64Array {
  const rows = shape[0] ?? 1;
  let cols = 1;
  for (let i = 1; i < shape.length; i++) cols *= shape[i]!;
  const tall = rows > cols;
  const r = tall ? cols : rows;
  const c = tall ? rows : cols;
  const m: Float64Array[] = [];
  for (let i = 0; i < r; i++) {
    const v = new Float64Array(c);
    for (let k = 0; k < c; k++) v[k] = rng.normal();
    m.push(v);
  }
  for (let i = 0; i < r; i++) {
    const v = m[i]!;
    for (let j = 0; j < i; j++) {
      const u = m[j]!;
      let dot = 0;
      for (let k = 0; k < c; k++) dot += v[k]! * u[k]!;
      for (let k = 0; k < c; k++) v[k] = v[k]! - dot * u[k]!;
    }
    let norm = 0;
    for (let k = 0; k < c; k++) norm += v[k]! * v[k]!;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < c; k++) v[k] = v[k]! / norm;
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < r; i++) for (let k = 0; k < c; k++) out[tall ? k * cols + i : i * cols + k] = m[i]![k]!;
  return out;
}

/**
 * Initialises one parameter in place: `size` values at `offset` of `params`,
 * drawn with the parameter's own seed (`paramSeed(seed, name)`), as the tfjs
 * target does.
 */
export function initParam(params: Float32Array | Float64Array, offset: number, shape: readonly number[], init: InitSpec, seed: number, name: string): void {
  params.set(initialValues(init, shape, new Rng(paramSeed(seed, name))), offset);
}

/**
 * Inverted dropout: fills n elements of a mask from `rng`, each 1/(1 - rate) with probability 1 - rate and
 * else 0, so that the masked value keeps its expectation. Both targets draw a forward pass's masks with this,
 * from one generator seeded with dropoutSeed, mask after mask in the graph's order, each row-major with the
 * batch first: the same seed gives the same masks on every target.
 */
export function drawMask(rng: Rng, out: Float32Array | Float64Array, n: number, rate: number): void {
  const keep = 1 - rate;
  const scale = 1 / keep;
  for (let i = 0; i < n; i++) out[i] = rng.next() < keep ? scale : 0;
}

/** The seed of the dropout masks of update `step` (from 0) of a run with seed `seed`: a new set each update, the same for the same run. */
export function dropoutSeed(seed: number, step: number): number {
  return Math.imul((seed ^ 0x85ebca6b) >>> 0, 0x9e3779b1) + Math.imul(step + 1, 0xc2b2ae35) >>> 0;
}
