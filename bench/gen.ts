/**
 * A deterministic generator of valid .seq specs of about N lines, for the
 * benchmarks: top-level dims, user cells and fns (params, states, lets), and
 * models of many chained layers (residual dense layers, lstm / gru / elman and
 * user-cell scans, bidirectional and reverse scans, concat / split, repeat,
 * convolutions), losses, feedback and a train block. The same (lines, seed)
 * always gives the same text.
 */
import { Rng } from "../src/runtime/init.js";

/** The project's seeded generator, with the choices the generator needs. */
class Choices {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.rng.next() < p;
  }
}

export interface GenOptions {
  /** Seed of the generator (default 1). */
  seed?: number;
  /** Layers per model before a new model is started (default 150). */
  layersPerModel?: number;
}

/** User definitions of one kind, instantiated with a suffix so that every copy has its own name. */
const DEF_TEMPLATES: ((k: string) => string[])[] = [
  (k) => [
    `# gated linear unit ${k}: tanh(a) * sigmoid(g) with a, g halves of one projection`,
    `fn glu_${k}<N>(x: [D]) -> [N] {`,
    `  param W: [2*N, D] = glorot`,
    `  param b: [2*N] = zeros`,
    `  let a, g = split<2>(W @ x + b)`,
    `  out tanh(a) * sigmoid(g)`,
    `}`,
  ],
  (k) => [
    `# minimal gated unit ${k}: one forget gate`,
    `cell mgu_${k}<H>(x: [X]) -> [H] {`,
    `  param W_f: [H, H + X] = glorot`,
    `  param W_h: [H, H + X] = glorot`,
    `  param b_f: [H] = zeros`,
    `  param b_h: [H] = zeros`,
    `  state h: [H] = 0`,
    `  let f = sigmoid(W_f @ concat(h, x) + b_f)`,
    `  let c = tanh(W_h @ concat(f * h, x) + b_h)`,
    `  h' = (1 - f) * h + f * c`,
    `  out h'`,
    `}`,
  ],
  (k) => [
    `# two-layer perceptron ${k} with a residual connection`,
    `fn mlp_${k}<N>(x: [N]) -> [N] {`,
    `  param W1: [4*N, N] = glorot`,
    `  param b1: [4*N] = zeros`,
    `  param W2: [N, 4*N] = glorot`,
    `  param b2: [N] = zeros`,
    `  let z = relu(W1 @ x + b1)`,
    `  out x + W2 @ z + b2`,
    `}`,
  ],
  (k) => [
    `# leaky integrator ${k}: a learned initial state and a decay`,
    `cell leaky_${k}<H>(x: [X]) -> [H] {`,
    `  param W: [H, X] = glorot`,
    `  param U: [H, H] = orthogonal`,
    `  param h0: [H] = zeros`,
    `  param decay: [H] = 0.9`,
    `  state h: [H] = h0`,
    `  let u = tanh(W @ x + U @ h)`,
    `  h' = sigmoid(decay) * h + (1 - sigmoid(decay)) * u`,
    `  out h'`,
    `}`,
  ],
];

interface Defs {
  fns: string[];
  cells: string[];
  lines: string[];
}

function generateDefs(rng: Choices, count: number): Defs {
  const defs: Defs = { fns: [], cells: [], lines: [] };
  for (let i = 0; i < count; i++) {
    const t = i % DEF_TEMPLATES.length;
    const body = DEF_TEMPLATES[t]!(String(i));
    const name = body[1]!.split(/[ <]/)[1]!;
    (body[1]!.startsWith("cell") ? defs.cells : defs.fns).push(name);
    defs.lines.push(...body, "");
  }
  void rng;
  return defs;
}

/**
 * One model with `layers` layers over [T, H] values. Most layers keep the width
 * H; the wide ones ([T, 2*H]: concat, bidirectional) are projected back at once.
 */
function generateModel(rng: Choices, index: number, limits: { layers: number; lines: number }, defs: Defs): string[] {
  const out: string[] = [];
  const width = rng.pick(["H", "H", "E", "2*E"]);
  out.push(
    `# model ${index}: layers over [T, ${width}]`,
    `model m${index} {`,
    `  vocab chars[V]  # from the data`,
    `  dim T`,
    `  dim W = ${width}`,
    `  input x: [T] of chars`,
    `  target y: [T] of chars  # the next char`,
    `  target z: [T, 1]  # an auxiliary per-step flag`,
    ``,
    `  h0 = embedding<W>(one_hot(x))  # [T, W]`,
  );
  let n = 0;
  const name = () => `h${++n}`;
  const prev = () => `h${n}`;
  /** A value of width W from the last few layers (skip connections). */
  const earlier = () => `h${Math.max(0, n - rng.int(4))}`;
  const scan = () => rng.pick(["lstm", "gru", "elman", "lstm_peephole", "gru_simplified", ...defs.cells]);
  while (n < limits.layers && out.length + MODEL_TAIL < limits.lines) {
    // Operands are drawn before the new layer's name (name() advances n).
    const p = prev();
    const e = earlier();
    const f = earlier();
    switch (rng.int(13)) {
      case 0:
      case 1: {
        const act = rng.pick(["tanh", "relu", "sigmoid", "elu", "softplus"]);
        out.push(`  ${name()} = ${act}(dense<W>(${p})) + ${p}  # residual`);
        break;
      }
      case 2:
      case 3:
        out.push(`  ${name()} = ${scan()}<W>(${p})`);
        break;
      case 4: {
        const b = `b${n + 1}`;
        out.push(`  ${b} = bidirectional ${scan()}<W>(${p})  # [T, 2*W]`);
        out.push(`  ${name()} = tanh(dense<W>(${b}))`);
        break;
      }
      case 5:
        out.push(`  ${name()} = reverse ${scan()}<W>(${p})`);
        break;
      case 6: {
        const c = `c${n + 1}`;
        out.push(`  ${c} = concat(${p}, ${e})  # [T, 2*W]`);
        out.push(`  ${name()} = relu(dense<W>(${c}))`);
        break;
      }
      case 7: {
        const a = `a${n + 1}`;
        const g = `g${n + 1}`;
        out.push(`  ${a}, ${g} = split<2>(dense<2*W>(${p}))`);
        out.push(`  ${name()} = ${a} * sigmoid(${g}) + ${e}`);
        break;
      }
      case 8:
        if (defs.fns.length > 0) out.push(`  ${name()} = ${rng.pick(defs.fns)}<W>(${p})`);
        else out.push(`  ${name()} = softmax(${p})`);
        break;
      case 9:
        out.push(`  ${name()} = repeat<${1 + rng.int(3)}> highway(${p})`);
        break;
      case 10:
        out.push(`  ${name()} = relu(conv1d<K=W, F=${rng.pick([3, 5])}, pad=same>(${p})) + ${p}`);
        break;
      case 11:
        out.push(`  ${name()} = ${p} * sigmoid(${e}) + shift<1>(${f}) * 0.5`);
        break;
      default:
        out.push(`  ${name()} = maximum(${p}, ${e}) - ${p} / 2`);
    }
    if (rng.chance(0.05)) out.push("");
  }
  const last = prev();
  out.push(
    ``,
    `  logits = dense<V>(${last})  # [T, V]`,
    `  flag = dense<1>(${earlier()})  # [T, 1]`,
    `  loss cross_entropy(logits, y)`,
    `  loss bce_logits(flag, z)`,
    `  feedback x from logits`,
    `  train {`,
    `    optimizer: adam(lr: 0.001)`,
    `    batch: ${rng.pick([16, 32, 64])}`,
    `    epochs: ${rng.pick([5, 10, 20])}`,
    `    clip: 5`,
    `    bptt: ${rng.pick([50, 100])}`,
    `    seed: ${index}`,
    `  }`,
    `}`,
    ``,
  );
  return out;
}

/** Lines of a model after its layers (head, losses, train block). */
const MODEL_TAIL = 17;
/** Lines per layer, on average (two-line layers and blank lines included). */
const LINES_PER_LAYER = 1.3;

/** A valid spec of about `lines` lines (at least ~100). */
export function generateSpec(lines: number, opts: GenOptions = {}): string {
  const rng = new Choices(opts.seed ?? 1);
  const perModel = opts.layersPerModel ?? 150;
  const out: string[] = [
    `# generated by bench/gen.ts: about ${lines} lines, seed ${opts.seed ?? 1}`,
    `dim E = 64`,
    `dim H = 128`,
    ``,
  ];
  // About 8% of the lines are user definitions.
  const defs = generateDefs(rng, Math.max(1, Math.round((lines * 0.08) / 10)));
  out.push(...defs.lines);
  let index = 0;
  // Stop when too little is left for a model of a few layers: "about" N lines.
  while (index === 0 || lines - out.length >= MODEL_TAIL + 20) {
    const left = lines - out.length;
    // The last model takes what is left rather than leaving a tiny one.
    const last = left < perModel * LINES_PER_LAYER * 1.5;
    out.push(...generateModel(rng, index++, last ? { layers: Infinity, lines: left } : { layers: perModel, lines: Infinity }, defs));
  }
  return out.join("\n");
}

/** The number of lines of a text. */
export function lineCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.length > 0 && !text.endsWith("\n") ? n + 1 : n;
}
