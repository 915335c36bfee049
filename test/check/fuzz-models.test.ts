/**
 * Fuzz (d): random well-formed models from a small generator (dense,
 * recurrent and elementwise layers, user cells and fns, bound dims) check
 * clean and format idempotently. See fuzz.ts.
 */
import fc from "fast-check";
import { describe, it } from "vitest";
import { assertFormatsIdempotently, checkText, fail, printCounts, property } from "./fuzz.js";

printCounts("fuzz (d)");

interface Value {
  name: string;
  width: number;
}

/** Draws from a fast-check-controlled list of integers so that models shrink. */
class Draw {
  private i = 0;
  constructor(private readonly xs: readonly number[]) {}
  /** 0..n-1 from the next number; past the end, the list is reused with an offset per pass. */
  int(n: number): number {
    const len = Math.max(1, this.xs.length);
    const pass = Math.floor(this.i / len);
    const x = (this.xs[this.i++ % len] ?? 0) + pass * 7919;
    return x % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(percent: number): boolean {
    return this.int(100) < percent;
  }
}

const USER_DEFS = `fn mlp<N>(x: [D]) -> [N] {
  param W: [N, D] = glorot
  param b: [N] = zeros
  let z = W @ x + b
  out tanh(z)
}

cell rnn<H>(x: [X]) -> [H] {
  param W: [H, X + H] = glorot
  param b: [H] = 0.1
  state h: [H] = 0
  h' = tanh(W @ concat(x, h) + b)
  out h'
}

cell gated<H>(x: [X]) {
  param W: [2*H, X] = glorot
  param U: [2*H, H] = orthogonal
  state h: [H] = 0
  let r, z = split<2>(sigmoid(W @ x + U @ h))
  h' = z * h + (1 - z) * tanh(r * h)
  out h'
}
`;

/** A valid spec: top-level dims, maybe user defs, one model of random layers over [T, width]. */
function genModel(xs: readonly number[]): string {
  const d = new Draw(xs);
  const lines: string[] = [];
  const dims = new Map<number, string>();
  /** A generic argument for a width: the number or a top-level dim bound to it. */
  const widthArg = (w: number): string => {
    if (!d.chance(40)) return String(w);
    let name = dims.get(w);
    if (!name) {
      name = `D${dims.size}`;
      dims.set(w, name);
    }
    return name;
  };
  const userDefs = d.chance(50);
  const body: string[] = [];
  const values: Value[] = [];
  let counter = 0;
  const fresh = (): string => `h${counter++}`;
  const add = (expr: string, width: number, comment = false): Value => {
    const v = { name: fresh(), width };
    body.push(`  ${v.name} = ${expr}${comment ? `  # width ${width}` : ""}`);
    values.push(v);
    return v;
  };
  const randomWidth = () => d.pick([1, 2, 3, 4, 6, 8, 12, 16, 32]);

  body.push("  dim T");
  const tokenInput = d.chance(30);
  if (tokenInput) {
    const tokens = 2 + d.int(5);
    body.push(`  vocab v[V] = [${Array.from({ length: tokens }, (_, i) => `t${i}`).join(", ")}]`);
    body.push("  input x: [T] of v");
    if (d.chance(50)) add("one_hot(x)", tokens);
    else {
      const e = randomWidth();
      add(`embedding<${widthArg(e)}>(one_hot(x))`, e);
    }
  } else {
    const w = randomWidth();
    body.push(`  input x: [T, ${widthArg(w)}]`);
    add(d.chance(50) ? "x" : "tanh(x)", w);
  }

  const layers = 1 + d.int(8);
  for (let i = 0; i < layers; i++) {
    const src = d.chance(60) ? values[values.length - 1]! : d.pick(values);
    const comment = d.chance(15);
    const w = randomWidth();
    switch (d.int(12)) {
      case 0:
        add(`dense<${widthArg(w)}>(${src.name})`, w, comment);
        break;
      case 1: {
        const cell = d.pick(userDefs ? ["elman", "lstm", "gru", "rnn", "gated"] : ["elman", "lstm", "gru"]);
        const mod = d.pick(["", "", "reverse ", "bidirectional "]);
        add(`${mod}${cell}<${widthArg(w)}>(${src.name})`, mod === "bidirectional " ? 2 * w : w, comment);
        break;
      }
      case 2:
        add(`${d.pick(["tanh", "relu", "sigmoid", "elu", "softplus", "abs", "square", "exp"])}(${src.name})`, src.width, comment);
        break;
      case 3:
        add(`${d.pick(["tanh", "relu"])}(dense<${widthArg(src.width)}>(${src.name})) + ${src.name}`, src.width, comment);
        break;
      case 4: {
        const same = values.filter((v) => v.width === src.width);
        const other = d.pick(same);
        add(`${src.name} ${d.pick(["+", "-", "*"])} ${other.name}`, src.width, comment);
        break;
      }
      case 5:
        add(d.pick([`${src.name} * 0.5`, `1 - ${src.name}`, `-${src.name}`, `(${src.name} + 1) / 2`]), src.width, comment);
        break;
      case 6: {
        const other = d.pick(values);
        add(`concat(${src.name}, ${other.name})`, src.width + other.width, comment);
        break;
      }
      case 7: {
        if (src.width % 2 !== 0) {
          add(`leaky_relu(${src.name}, alpha: 0.1)`, src.width, comment);
          break;
        }
        const a = fresh();
        const b = fresh();
        body.push(`  ${a}, ${b} = split<2>(${src.name})`);
        values.push({ name: a, width: src.width / 2 }, { name: b, width: src.width / 2 });
        break;
      }
      case 8:
        if (userDefs) add(`mlp<${widthArg(w)}>(${src.name})`, w, comment);
        else add(`softmax(${src.name})`, src.width, comment);
        break;
      case 9:
        add(`repeat<${1 + d.int(3)}> highway(${src.name})`, src.width, comment);
        break;
      case 10:
        add(`maximum(${src.name}, ${d.pick(values.filter((v) => v.width === src.width)).name})`, src.width, comment);
        break;
      default:
        add(`shift<${1 + d.int(3)}>(${src.name})`, src.width, comment);
    }
  }

  // The head: next-token prediction over the input vocabulary, per step, or one output per sequence.
  const last = values[values.length - 1]!;
  const k = randomWidth();
  const perStep = d.chance(60);
  if (tokenInput && perStep && d.chance(60)) {
    body.push("  target y: [T] of v");
    body.push(`  logits = dense<V>(${last.name})`);
    body.push("  loss cross_entropy(logits, y)");
    if (d.chance(50)) body.push("  feedback x from logits");
  } else {
    const pooled = perStep ? last.name : `${d.pick(["last", "first", "mean", "sum", "max"])}(${last.name})`;
    body.push(`  target y: ${perStep ? "[T, " : "["}${widthArg(k)}]`);
    const loss = d.pick(["mse", "bce", "bce_logits"]);
    const head = loss === "bce_logits" ? "" : loss === "bce" ? "sigmoid" : d.pick(["sigmoid", "tanh", ""]);
    body.push(`  p = ${head}${head ? "(" : ""}dense<${widthArg(k)}>(${pooled})${head ? ")" : ""}`);
    body.push(`  loss ${loss}(p, y)`);
  }
  if (d.chance(70)) {
    const entries = [`optimizer: ${d.pick(["sgd(lr: 0.1)", "adam(lr: 0.001)", "momentum(lr: 0.01, beta: 0.9)", "rmsprop(lr: 0.001, rho: 0.9, eps: 1e-8)"])}`];
    if (d.chance(50)) entries.push(`batch: ${1 + d.int(64)}`);
    if (d.chance(50)) entries.push(`epochs: ${1 + d.int(100)}`);
    if (d.chance(30)) entries.push(`clip: ${1 + d.int(5)}`);
    if (d.chance(30)) entries.push(`seed: ${d.int(1000)}`);
    if (d.chance(20)) entries.push("validation: 0.1");
    body.push(`  train { ${entries.join(", ")} }`);
  }

  if (d.chance(30)) lines.push("# a generated spec");
  for (const [w, name] of dims) lines.push(`dim ${name} = ${w}`);
  if (userDefs) lines.push("", USER_DEFS);
  lines.push("model generated {", ...body, "}");
  return lines.join("\n") + "\n";
}

describe("fuzz (d): generated models check clean and format idempotently", () => {
  it("random dense / recurrent / elementwise models", () => {
    const arb = fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 120 }).map(genModel);
    property("d.models", 1500, [arb], (text) => {
      const { program, result } = checkText(text);
      if (result.diagnostics.length > 0) {
        fail(`a generated model has diagnostics ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}:\n${text}`);
      }
      assertFormatsIdempotently(program.root.ir, text);
    });
  });
});
