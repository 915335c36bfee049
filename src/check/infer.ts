/**
 * Shape inference. Walks a model's statements, gives every value a type of
 * symbolic dims, and instantiates each cell or fn it applies: binds the
 * compile-time arguments, unifies the declared input shapes with the
 * arguments (finding dims such as X), decides between scan (cells, one extra
 * leading axis) and map (fns, any extra leading axes), and checks the body
 * with those dims. Every op's own rule comes from the table in op-shapes.ts.
 *
 * Errors inside a standard-library definition are reported at the user's call;
 * errors inside a user definition at the definition, with the call as a label.
 */
import type { Code } from "../diagnostics/codes.js";
import { diagnostic, label, type Diagnostic, type Label } from "../diagnostics/diagnostic.js";
import { walkExpr, type CallExpr, type ConstDecl, type DefDecl, type Expr, type Loc, type ModelDecl, type OpExpr, type ShapeType, type Stmt, type TensorLiteral, type LiteralLoc } from "../ir/ir.js";
import { OPS, type OpInfo } from "../ir/ops.js";
import type { LoadedModule } from "../ir/program.js";
import { DimEnv, Poly } from "./dims.js";
import type { GivenDims } from "./given.js";
import { multipleHelp, OP_SHAPES, type Blame, type DeclaredParam, type Static } from "./op-shapes.js";
import { MISSING_OPS } from "./missing-ops.js";
import { didYouMean, type ProgramIndex } from "./scope.js";
import { formatTy, sameDims, size, tensor, type Tensor, type Ty } from "./types.js";
import { MAX_DIM } from "../ir/schema.js";

export interface ParamInfo {
  /** Qualified name: binding, callee and param, e.g. `h.W` or `p.dense.W`. */
  name: string;
  dims: Poly[];
  count: Poly;
  /**
   * The entries that get a gradient, when fewer than `count`: a param used only
   * as `W * mask` with a const mask (LeNet-5's C3 connection table) trains the
   * entries where the broadcast mask is not 0.
   */
  trainable?: number;
  /** A running statistic of batch_normalize: updated while training, never trained (`trainable` is 0). */
  running?: true;
  init?: Expr;
}

/**
 * The weights a param counts for (in `seqc summary`'s totals, `seqc graph`'s
 * labels and `seqc compile`'s line): the entries it trains (`trainable`, 0 for
 * a running statistic), else all of them.
 */
export function trainedCount(p: ParamInfo): Poly {
  return p.trainable !== undefined ? Poly.const(p.trainable) : p.count;
}

/** The weights some params count for together (trainedCount of each, summed). */
export function trainedTotal(params: readonly ParamInfo[]): Poly {
  return params.reduce((acc, p) => acc.add(trainedCount(p)), Poly.const(0));
}

export interface ValueInfo {
  name: string;
  kind: "input" | "target" | "value";
  ty: Ty;
  /** Parameters created by the calls in this value's expression. */
  params: ParamInfo[];
  loc: Loc;
}

export interface ModelInfo {
  /** The checked model body (typed IR). */
  frame: Frame;
  model: ModelDecl<Expr>;
  name: string;
  file: string;
  loc: Loc;
  env: DimEnv;
  values: ValueInfo[];
  params: ParamInfo[];
  total: Poly;
}

interface Anchor {
  file: string;
  loc: Loc;
  what: string;
}

/** Each copy of `repeat<N>` has its own parameters: the count is bounded so a typo cannot exhaust memory. */
export const MAX_REPEAT = 1000;

/** Parameter tensors of one model or definition at most: nested repeats multiply, and each copy is checked, built and run. */
export const MAX_PARAM_TENSORS = 100_000;


/** Codes not reported when a definition is checked with unknown dims (nothing can be proven about them). */
const UNPROVABLE: ReadonlySet<Code> = new Set<Code>(["SEQ0202", "SEQ0305", "SEQ0307", "SEQ0112"]);

/** What the checker learned at one call of a cell or fn: enough for a backend to build it. */
export interface CallInfo {
  /** The checked body of the callee for this call's dims (shared by calls with equal dims). */
  callee: Frame;
  /** Leading axes of the arguments beyond the step inputs: 1 (time) for a scan, k for a map. */
  lead: number;
  /** Name prefix of this call's params. */
  prefix: string;
  modifier?: "reverse" | "bidirectional" | "repeat";
  /** Copies made by repeat<N> (1 otherwise). */
  repeat: number;
}

/**
 * One checked block: a model's body, or one instantiation of a cell's or fn's
 * body. Besides the scopes used while checking, it keeps the type of every
 * expression and what each call resolved to: the typed IR that backends build from.
 */
export class Frame {
  /** The type of every expression that checked. */
  readonly types = new Map<Expr, Ty>();
  /** Every call of a cell or fn that checked. */
  readonly calls = new Map<CallExpr, CallInfo>();
  /** The definition, for a cell or fn body. */
  def: DefDecl<Expr> | undefined;
  /** The model, for a model body. */
  model: ModelDecl<Expr> | undefined;
  dims = new Map<string, Poly>();
  words = new Map<string, string>();
  vocabs = new Map<string, Poly>();
  /** Tokens of the vocabularies that list them. */
  tokens = new Map<string, string[]>();
  values = new Map<string, Ty>();
  /** Names whose value could not be typed: already reported, so uses are silent. */
  failed = new Set<string>();
  /** Names bound somewhere in the block (to tell "used before defined" from "unknown"). */
  bound = new Set<string>();
  states = new Map<string, Tensor>();
  next = new Map<string, Ty>();
  finals = new Map<string, Map<string, Tensor>>();
  params: ParamInfo[] = [];
  /** The consts declared in this block: their shapes and values, row-major. */
  consts = new Map<string, { shape: number[]; data: number[] }>();
  /** In a model: the value being bound, which names the params of nested calls. */
  binding = "";
  private callCounts = new Map<string, number>();

  constructor(
    readonly kind: "model" | "cell" | "fn",
    readonly module: LoadedModule,
    readonly defStack: string[],
    /** For standard-library frames: the user's call that led here. */
    readonly anchor: Anchor | undefined,
    /** For user-definition frames: the direct call. */
    readonly callSite: Anchor | undefined,
    readonly quiet: boolean,
  ) {}

  get file(): string {
    return this.module.file;
  }

  /** A name for the params of a call made in this frame: the binding, or binding.callee(_n). */
  childPrefix(callee: string, binding: string | undefined): string {
    if (binding !== undefined) return binding;
    const scope = this.binding ? `${this.binding}.${callee}` : callee;
    const n = (this.callCounts.get(scope) ?? 0) + 1;
    this.callCounts.set(scope, n);
    return n === 1 ? scope : `${scope}_${n}`;
  }
}

/** Result of checking one instantiation of a definition (one step). */
interface Instance {
  out: Tensor;
  states: Map<string, Tensor>;
  params: ParamInfo[];
  frame: Frame;
}

export class Inference {
  readonly env = new DimEnv();
  private readonly cache = new Map<string, Instance | undefined>();

  constructor(
    private readonly index: ProgramIndex,
    private readonly reportTo: (d: Diagnostic) => void,
    /** Values for free dims from outside the spec (`--dim`): bound where declared. */
    private readonly given?: GivenDims,
  ) {}

  // ---------------------------------------------------------------- reporting

  private report(f: Frame, code: Code, message: string, primary: Blame, others: Blame[] = [], notes: string[] = [], help?: string): void {
    if (f.quiet && UNPROVABLE.has(code)) return;
    const extra: { labels: Label[]; notes?: string[]; help?: string } = { labels: [] };
    if (notes.length > 0) extra.notes = notes;
    if (help) extra.help = help;
    if (f.module.std && f.anchor) {
      extra.labels.push(label({ file: f.file, ...primary.loc }, primary.message ? `${primary.message} (inside ${f.anchor.what})` : `inside ${f.anchor.what}`));
      this.reportTo(diagnostic(code, message, { file: f.anchor.file, ...f.anchor.loc, ...(primary.message ? { message: primary.message } : {}) }, extra));
      return;
    }
    for (const o of others) extra.labels.push(label({ file: f.file, ...o.loc }, o.message));
    if (f.callSite) extra.labels.push(label({ file: f.callSite.file, ...f.callSite.loc }, `${f.callSite.what} is used here`));
    this.reportTo(diagnostic(code, message, { file: f.file, ...primary.loc, ...(primary.message ? { message: primary.message } : {}) }, extra));
  }

  /** The text of a place in a frame's file. */
  private source(f: Frame, loc: Loc): string {
    return this.index.program.sources.get(f.file)?.slice(loc.start, loc.end) ?? "";
  }

  private fmt(t: Ty): string {
    return formatTy(t, this.env);
  }

  private where(...ts: Tensor[]): string[] {
    const w = this.env.where(ts.flatMap((t) => t.dims));
    return w ? [w] : [];
  }

  // ---------------------------------------------------------------- dims and shapes

  /** A dim expression's value. */
  evalDim(e: Expr, f: Frame): Poly | undefined {
    switch (e.op) {
      case "num":
        if (!Number.isInteger(e.value) || e.value < 0) {
          this.report(f, "SEQ0204", `a dim must be a whole number, not ${e.value}`, { loc: e.loc });
          return undefined;
        }
        return Poly.const(e.value);
      case "ref": {
        const d = f.dims.get(e.name);
        if (d) return d;
        if (f.failed.has(e.name)) return undefined;
        const vocabSize = f.vocabs.has(e.name) ? " (a vocabulary: use the dim in its brackets)" : "";
        this.report(f, "SEQ0201", `unknown dim \`${e.name}\`${vocabSize}`, { loc: e.loc }, [], [], didYouMean(e.name, f.dims.keys()));
        return undefined;
      }
      case "add":
      case "sub":
      case "mul":
      case "div": {
        const a = this.evalDim(e.args[0]!, f);
        const b = this.evalDim(e.args[1]!, f);
        if (!a || !b) return undefined;
        if (e.op === "add") return a.add(b);
        if (e.op === "sub") return a.sub(b);
        if (e.op === "mul") return a.mul(b);
        const q = this.env.divide(a, b);
        if (!q) {
          const k = this.env.value(b);
          const help = (k !== undefined && multipleHelp(this.env, a, k)) || "declare a free dim as `dim T multiple of N`, or choose sizes that divide";
          this.report(f, "SEQ0202", `${this.env.format(a)} is not provably divisible by ${this.env.format(b)}`, { loc: e.loc }, [], this.where(tensor([a, b])), help);
        }
        return q;
      }
      default:
        this.report(f, "SEQ0204", `\`${e.op}\` cannot appear in a dim expression`, { loc: e.loc });
        return undefined;
    }
  }

  evalShape(t: ShapeType<Expr>, f: Frame): Tensor | undefined {
    const dims: Poly[] = [];
    let ok = true;
    for (const d of t.dims) {
      const p = this.evalDim(d, f);
      if (!p) {
        ok = false;
        continue;
      }
      const v = this.env.value(p);
      if (v !== undefined && v < 1) {
        this.report(f, "SEQ0203", `a dim must be at least 1, but ${this.env.format(p)} is ${v}`, { loc: d.loc }, [], this.where(tensor([p])));
        ok = false;
      } else if (v !== undefined && v > MAX_DIM) {
        this.report(f, "SEQ0006", `${this.env.format(p)} is ${v}, more than the largest dim ${MAX_DIM}`, { loc: d.loc }, [], this.where(tensor([p])));
        ok = false;
      }
      dims.push(p);
    }
    if (t.vocab !== undefined && !f.vocabs.has(t.vocab)) {
      this.report(f, "SEQ0101", `unknown vocabulary \`${t.vocab}\``, { loc: t.loc }, [], [], didYouMean(t.vocab, f.vocabs.keys()));
      ok = false;
    }
    return ok ? tensor(dims, t.vocab) : undefined;
  }

  /** A compile-time value: a number, a dim, or a word such as `same`. */
  private evalStatic(e: Expr, f: Frame): Static | undefined {
    if (e.op === "num") return { kind: "num", value: e.value };
    if (e.op === "neg" && e.args[0]?.op === "num") return { kind: "num", value: -e.args[0].value };
    if (e.op === "ref") {
      const w = f.words.get(e.name);
      if (w !== undefined) return { kind: "word", word: w };
      const d = f.dims.get(e.name);
      return d ? { kind: "dim", poly: d } : { kind: "word", word: e.name };
    }
    const p = this.evalDim(e, f);
    return p ? { kind: "dim", poly: p } : undefined;
  }

  // ---------------------------------------------------------------- declarations

  /** Declares a dim (top level or model) in the model's environment. */
  declareDim(d: { name: string; value?: Expr; multipleOf?: number }, f: Frame): void {
    if (d.value === undefined) {
      const given = this.given?.free(d.name, d.multipleOf ?? 1);
      f.dims.set(d.name, this.env.declare({ name: d.name, multiple: d.multipleOf ?? 1, ...(given !== undefined ? { value: given } : {}) }, given === undefined));
      return;
    }
    const p = this.evalDim(d.value, f);
    if (!p) {
      f.failed.add(d.name);
      return;
    }
    const v = this.env.value(p);
    if (v !== undefined && (v < 1 || v > MAX_DIM)) {
      this.report(f, v < 1 ? "SEQ0203" : "SEQ0006", `dim ${d.name} = ${v} is out of range: dims are whole numbers from 1 to ${MAX_DIM}`, { loc: d.value.loc });
      f.failed.add(d.name);
      return;
    }
    if (v === undefined) this.given?.derived(d.name, this.env.format(p));
    else this.given?.bound(d.name, v, d.value.op === "num" ? `the spec fixes ${d.name} = ${v}` : `the spec computes ${d.name} = ${this.env.format(p)} = ${v}`);
    f.dims.set(d.name, v !== undefined ? this.env.declare({ name: d.name, multiple: 1, value: v }) : p);
  }

  declareVocab(v: { name: string; size: string; tokens?: string[] }, f: Frame): void {
    if (v.tokens) this.given?.bound(v.size, v.tokens.length, `the vocabulary ${v.name} lists ${v.tokens.length} tokens`);
    const given = v.tokens ? undefined : this.given?.free(v.size, 1);
    const sizeDim = v.tokens
      ? this.env.declare({ name: v.size, multiple: 1, value: v.tokens.length })
      : this.env.declare({ name: v.size, multiple: 1, ...(given !== undefined ? { value: given } : {}) });
    f.dims.set(v.size, sizeDim);
    f.vocabs.set(v.name, sizeDim);
    if (v.tokens) f.tokens.set(v.name, v.tokens);
  }

  // ---------------------------------------------------------------- expressions

  evalExpr(e: Expr, f: Frame, binding?: string): Ty | undefined {
    const t = this.typeOf(e, f, binding);
    if (t) f.types.set(e, t);
    return t;
  }

  private typeOf(e: Expr, f: Frame, binding: string | undefined): Ty | undefined {
    switch (e.op) {
      case "num":
        return tensor([]);
      case "str":
        this.report(f, "SEQ0113", "a string is not a tensor", { loc: e.loc });
        return undefined;
      case "ref":
        return this.evalRef(e, f);
      case "next": {
        if (!f.states.has(e.name)) {
          this.report(f, "SEQ0108", `\`${e.name}'\`: ${e.name} is not a state${f.kind === "model" ? " (states belong to cells)" : ""}`, { loc: e.loc });
          return undefined;
        }
        const t = f.next.get(e.name);
        if (!t && !f.failed.has(`${e.name}'`)) this.report(f, "SEQ0109", `\`${e.name}'\` is read before it is assigned`, { loc: e.loc }, [], [], `assign \`${e.name}' = ...\` before this line`);
        return t;
      }
      case "member": {
        const finals = f.finals.get(e.of);
        const t = finals?.get(e.name);
        if (t) return t;
        // A value whose definition failed was reported there.
        if (f.failed.has(e.of)) return undefined;
        const why = finals
          ? `the scan \`${e.of}\` has no state \`${e.name}\` (it has ${[...finals.keys()].join(", ") || "none"})`
          : f.values.has(e.of)
            ? `\`${e.of}\` is not the result of a cell's scan, so it has no final states`
            : `unknown name \`${e.of}\``;
        this.report(f, "SEQ0101", why, { loc: e.loc });
        return undefined;
      }
      case "call":
        return this.evalCall(e, f, binding);
      default:
        return this.evalOp(e, f);
    }
  }

  private evalRef(e: Extract<Expr, { op: "ref" }>, f: Frame): Ty | undefined {
    const t = f.values.get(e.name) ?? f.states.get(e.name);
    if (t) return t;
    if (f.failed.has(e.name)) return undefined;
    if (f.bound.has(e.name)) {
      this.report(f, "SEQ0109", `\`${e.name}\` is used before it is defined`, { loc: e.loc }, [], [], "define values before the lines that use them");
      return undefined;
    }
    const kind = f.dims.has(e.name)
      ? "a dim"
      : f.vocabs.has(e.name)
        ? "a vocabulary"
        : this.index.defs.has(e.name)
          ? `a ${this.index.defs.get(e.name)!.node.kind} (apply it: ${e.name}<...>(x))`
          : Object.hasOwn(OPS, e.name)
            ? `a builtin op (apply it: ${e.name}(x))`
            : undefined;
    if (kind) {
      this.report(f, "SEQ0113", `\`${e.name}\` is ${kind}, not a tensor`, { loc: e.loc });
      return undefined;
    }
    const candidates = [...f.values.keys(), ...f.states.keys()];
    this.report(f, "SEQ0101", `unknown name \`${e.name}\``, { loc: e.loc }, [], [], didYouMean(e.name, candidates));
    return undefined;
  }

  private tensors(args: Expr[], f: Frame): (Tensor | undefined)[] {
    return args.map((a) => {
      const t = this.evalExpr(a, f);
      if (t?.kind === "tuple") {
        this.report(f, "SEQ0111", `this gives ${t.items.length} values; bind them with \`let a, b = ...\``, { loc: a.loc });
        return undefined;
      }
      return t;
    });
  }

  private evalOp(e: OpExpr, f: Frame): Ty | undefined {
    const info: OpInfo = OPS[e.op];
    const [min, max] = info.arity;
    if (e.args.length < min || e.args.length > max) {
      const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      this.report(f, "SEQ0104", `${e.op} takes ${want} argument${want === "1" ? "" : "s"}, not ${e.args.length}`, { loc: e.loc });
      return undefined;
    }
    const genericNames: readonly string[] = info.generic ?? [];
    const namedNames = Object.keys(info.named ?? {});
    const positional = (e.generic ?? []).filter((a) => a.name === undefined);
    if (positional.length > genericNames.length || (genericNames.length > 0 && (e.generic ?? []).length === 0)) {
      const want = genericNames.length === 0 ? "no compile-time arguments" : `<${genericNames.join(", ")}>`;
      this.report(f, "SEQ0104", `${e.op} takes ${want}`, { loc: e.loc });
      return undefined;
    }
    for (const a of [...(e.generic ?? []), ...(e.named ?? [])]) {
      if (a.name !== undefined && !genericNames.includes(a.name) && !namedNames.includes(a.name)) {
        const known = [...genericNames, ...namedNames];
        this.report(f, "SEQ0105", `${e.op} has no option \`${a.name}\`${known.length ? ` (it has ${known.join(", ")})` : ""}`, { loc: a.loc }, [], [], didYouMean(a.name, known));
        return undefined;
      }
    }
    const args = this.tensors(e.args, f);
    if (args.some((a) => a === undefined)) return undefined;
    const attr = (name: string): Static | undefined => {
      if (name.startsWith("vocab:")) {
        const p = f.vocabs.get(name.slice(6));
        return p ? { kind: "dim", poly: p } : undefined;
      }
      const gi = genericNames.indexOf(name);
      const arg = (gi >= 0 ? positional[gi] : undefined) ?? [...(e.generic ?? []), ...(e.named ?? [])].find((a) => a.name === name);
      return arg ? this.evalStatic(arg.value, f) : undefined;
    };
    return OP_SHAPES[e.op](args as Tensor[], {
      env: this.env,
      node: e,
      argLocs: e.args.map((a) => a.loc),
      attr,
      report: (code, message, primary, others, notes, help) => this.report(f, code, message, primary, others, notes, help),
      source: (loc) => this.source(f, loc),
      param: (i) => {
        const a = e.args[i];
        // The standard library's params are not the user's to redeclare.
        const decl = a?.op === "ref" && !f.module.std ? f.def?.body.find((s) => s.kind === "param" && s.name === a.name) : undefined;
        if (decl?.kind !== "param") return undefined;
        const p: DeclaredParam = { name: decl.name, dims: decl.type.dims.map((d) => this.source(f, d.loc)) };
        if (decl.init) p.init = this.source(f, decl.init.loc);
        return p;
      },
      definition: (name) => {
        const body = f.def?.body ?? f.model?.body ?? [];
        const binds = body.filter((s) => s.kind === "assign" && s.targets.some((t) => t.name === name && !t.next));
        const only = binds.length === 1 ? binds[0] : undefined;
        return only?.kind === "assign" && only.targets.length === 1 ? only.value : undefined;
      },
    });
  }

  // ---------------------------------------------------------------- calls

  private evalCall(e: CallExpr, f: Frame, binding: string | undefined): Ty | undefined {
    const found = this.index.defs.get(e.callee);
    if (!found) {
      const isOp = Object.hasOwn(OPS, e.callee);
      const missing = Object.hasOwn(MISSING_OPS, e.callee) ? MISSING_OPS[e.callee] : undefined;
      const msg = isOp ? `\`${e.callee}\` is a builtin op: it takes no modifier and no \`with\`` : `unknown cell or fn \`${e.callee}\`${missing ? `: ${missing.what}` : ""}`;
      const help = isOp ? undefined : missing ? missing.help : didYouMean(e.callee, [...this.index.defs.keys(), ...Object.keys(OPS)]);
      this.report(f, isOp ? "SEQ0106" : "SEQ0102", msg, { loc: e.calleeLoc }, [], [], help);
      return undefined;
    }
    const def = found.node;
    // Recursion is reported by the no-recursion rule.
    if (f.defStack.includes(def.name)) return undefined;
    if (e.named && e.named.length > 0) {
      this.report(f, "SEQ0105", `${def.name} takes its inputs by position; compile-time options go in <...>`, { loc: e.named[0]!.loc });
      return undefined;
    }
    if (e.args.length !== def.inputs.length) {
      const names = def.inputs.map((i) => i.name).join(", ");
      this.report(f, "SEQ0104", `${def.name} takes ${def.inputs.length} input${def.inputs.length === 1 ? "" : "s"} (${names}), not ${e.args.length}`, { loc: e.loc });
      return undefined;
    }
    const isCell = def.kind === "cell";
    const mod = e.modifier;
    if ((mod?.kind === "reverse" || mod?.kind === "bidirectional" || e.with) && !isCell) {
      this.report(f, "SEQ0106", `${mod && mod.kind !== "repeat" ? mod.kind : "with { ... }"} applies to cells, and ${def.name} is a fn`, { loc: e.loc });
      return undefined;
    }
    const args = this.tensors(e.args, f);
    if (args.some((a) => a === undefined)) return undefined;
    const actual = args as Tensor[];

    // Compile-time arguments, in the callee's terms.
    const generics = this.bindGenerics(e, def, f);
    if (!generics) return undefined;

    // Scan or map: how many leading axes the arguments have beyond the step inputs.
    const stepInputs = def.inputs.map((p, i) => ({ p, t: actual[i]!, loc: e.args[i]!.loc }));
    const scanned = stepInputs.filter((s) => !s.p.ctx);
    const extras = scanned.map((s) => s.t.dims.length - s.p.type.dims.length);
    const lead = extras.length > 0 ? extras[0]! : 0;
    for (const s of stepInputs) {
      if (s.t.vocab !== undefined && s.p.type.vocab === undefined) {
        this.report(f, "SEQ0311", `${def.name} takes float vectors for ${s.p.name}, but this is a token tensor ${this.fmt(s.t)}`, { loc: s.loc, message: this.fmt(s.t) }, [], [], "apply one_hot(x) (or embedding<E>(one_hot(x))) first");
        return undefined;
      }
    }
    for (const [i, s] of scanned.entries()) {
      const x = extras[i]!;
      const bad = isCell ? x !== 1 : x < 0 || x !== lead;
      if (bad) {
        const want = isCell
          ? `a sequence of ${formatDecl(s.p.type)} steps (one more leading axis than the step input)`
          : `${formatDecl(s.p.type)}${lead > 0 ? ` with the same ${lead} leading axes as the other inputs` : ""}`;
        this.report(f, "SEQ0304", `${def.name} needs ${s.p.name} to be ${want}, but it is ${this.fmt(s.t)}`, { loc: s.loc, message: this.fmt(s.t) });
        return undefined;
      }
    }
    const leadDims = scanned.length > 0 ? scanned[0]!.t.dims.slice(0, lead) : [];
    for (const s of scanned.slice(1)) {
      if (!s.t.dims.slice(0, lead).every((d, i) => this.env.equal(d, leadDims[i]!))) {
        this.report(f, "SEQ0303", `the inputs of ${def.name} disagree on their leading axes: ${this.fmt(scanned[0]!.t)} and ${this.fmt(s.t)}`, { loc: s.loc, message: this.fmt(s.t) });
        return undefined;
      }
    }
    for (const s of stepInputs.filter((x) => x.p.ctx)) {
      if (s.t.dims.length !== s.p.type.dims.length) {
        this.report(f, "SEQ0304", `${def.name} needs the context ${s.p.name} to be ${formatDecl(s.p.type)}, but it is ${this.fmt(s.t)}`, { loc: s.loc, message: this.fmt(s.t) });
        return undefined;
      }
    }
    const steps = stepInputs.map((s) => ({ ...s, t: s.p.ctx ? s.t : tensor(s.t.dims.slice(lead), s.t.vocab) }));

    const prefix = f.childPrefix(def.name, binding);
    const anchor: Anchor = f.module.std && f.anchor ? f.anchor : { file: f.file, loc: e.loc, what: `${def.name}<...>(...)` };
    const copies = mod?.kind === "bidirectional" ? ["fwd", "bwd"] : [""];
    let repeat = 1;
    if (mod?.kind === "repeat") {
      const n = this.evalDim(mod.count, f);
      const v = n ? this.env.value(n) : undefined;
      if (v === undefined || v < 1 || v > MAX_REPEAT) {
        this.report(f, "SEQ0112", `repeat<N> needs a whole number N from 1 to ${MAX_REPEAT}`, { loc: mod.count.loc });
        return undefined;
      }
      if (scanned.length !== 1) {
        this.report(f, "SEQ0313", `repeat needs a cell or fn of one input; ${def.name} has ${scanned.length}`, { loc: e.loc });
        return undefined;
      }
      repeat = v;
    }

    const inst = this.instantiate(found, generics, steps, f, anchor, { file: f.file, loc: e.loc, what: def.name });
    if (!inst) return undefined;

    // Initial states from `with { ... }`.
    for (const w of e.with ?? []) {
      const st = inst.states.get(w.name!);
      if (!st) {
        this.report(f, "SEQ0314", `${def.name} has no state \`${w.name}\` (it has ${[...inst.states.keys()].join(", ") || "none"})`, { loc: w.loc });
        continue;
      }
      const t = this.evalExpr(w.value, f);
      if (t && (t.kind !== "tensor" || !sameDims(t.dims, st.dims, this.env))) {
        this.report(f, "SEQ0314", `the initial ${w.name} must be ${this.fmt(st)}, but this is ${this.fmt(t)}`, { loc: w.value.loc, message: this.fmt(t) }, [], this.where(st));
      }
    }

    // Parameters of this call (nested repeats multiply: bounded before they are made).
    const added = copies.length * repeat * inst.params.length;
    if (f.params.length + added > MAX_PARAM_TENSORS) {
      this.report(f, "SEQ0114", `this call makes ${added.toLocaleString("en-US")} parameter tensors (${copies.length * repeat} copies of ${def.name}'s ${inst.params.length.toLocaleString("en-US")}), more than the ${MAX_PARAM_TENSORS.toLocaleString("en-US")} a model may have`, { loc: e.loc });
      return undefined;
    }
    for (const copy of copies) {
      for (let r = 0; r < repeat; r++) {
        const base = [prefix, copy, repeat > 1 ? String(r) : ""].filter((s) => s !== "").join(".");
        for (const p of inst.params) f.params.push({ ...p, name: `${base}.${p.name}` });
      }
    }
    if (binding !== undefined && isCell) f.finals.set(binding, inst.states);
    const info: CallInfo = { callee: inst.frame, lead, prefix, repeat };
    if (mod) info.modifier = mod.kind;
    f.calls.set(e, info);

    let out = inst.out;
    if (repeat > 1 || mod?.kind === "repeat") {
      const input = steps.find((s) => !s.p.ctx)!.t;
      if (!sameDims(out.dims, input.dims, this.env)) {
        this.report(f, "SEQ0313", `repeat feeds ${def.name}'s output ${this.fmt(out)} back as its input ${this.fmt(input)}`, { loc: e.loc }, [], this.where(out, input));
        return undefined;
      }
    }
    if (mod?.kind === "bidirectional") {
      if (out.dims.length === 0) {
        this.report(f, "SEQ0304", "bidirectional joins the two directions on the last axis, but the output is a scalar", { loc: e.loc });
        return undefined;
      }
      const last = out.dims[out.dims.length - 1]!;
      out = tensor([...out.dims.slice(0, -1), last.add(last)]);
    }
    return tensor([...leadDims, ...out.dims], out.vocab);
  }

  /** Binds `<...>` arguments to the definition's generic params: dims as polynomials, words as words. */
  private bindGenerics(e: CallExpr, def: DefDecl<Expr>, f: Frame): Map<string, Static> | undefined {
    const out = new Map<string, Static>();
    const given = e.generic ?? [];
    let pos = 0;
    for (const a of given) {
      let name = a.name;
      if (name === undefined) {
        const g = def.generics[pos++];
        if (!g) {
          this.report(f, "SEQ0104", `${def.name} takes ${def.generics.length} compile-time argument${def.generics.length === 1 ? "" : "s"} (<${def.generics.map((g) => g.name).join(", ")}>)`, { loc: a.loc });
          return undefined;
        }
        name = g.name;
      } else if (!def.generics.some((g) => g.name === name)) {
        const known = def.generics.map((g) => g.name);
        this.report(f, "SEQ0105", `${def.name} has no compile-time argument \`${name}\`${known.length ? ` (it has ${known.join(", ")})` : ""}`, { loc: a.loc }, [], [], didYouMean(name, known));
        return undefined;
      }
      const wordParam = isWordParam(def, name);
      const v = wordParam ? this.evalStatic(a.value, f) : this.evalDim(a.value, f);
      if (!v) return undefined;
      out.set(name, v instanceof Poly ? { kind: "dim", poly: v } : v);
    }
    return out;
  }

  /** Checks a definition's body for given compile-time arguments and step input types (memoized). */
  private instantiate(
    found: { node: DefDecl<Expr>; module: LoadedModule },
    generics: Map<string, Static>,
    steps: { p: DefDecl<Expr>["inputs"][number]; t: Tensor; loc: Loc }[],
    caller: Frame,
    anchor: Anchor,
    callSite: Anchor,
  ): Instance | undefined {
    const def = found.node;
    const key = `${def.name}|${[...generics].map(([k, v]) => `${k}=${staticKey(v)}`).join(",")}|${steps.map((s) => `${s.t.dims.map((d) => this.env.bind(d).key()).join(";")}:${s.t.vocab ?? ""}`).join("|")}`;
    if (this.cache.has(key)) return this.cache.get(key);
    const f = new Frame(def.kind, found.module, [...caller.defStack, def.name], found.module.std ? anchor : undefined, found.module.std ? undefined : callSite, caller.quiet);
    const inst = this.checkDefBody(def, f, generics, steps);
    this.cache.set(key, inst);
    return inst;
  }

  /** Binds dims and inputs in a definition frame and checks its body. */
  private checkDefBody(
    def: DefDecl<Expr>,
    f: Frame,
    generics: Map<string, Static>,
    steps: { p: DefDecl<Expr>["inputs"][number]; t: Tensor; loc: Loc }[],
  ): Instance | undefined {
    f.def = def;
    this.declareGlobals(f);
    for (const st of def.body) if (st.kind === "assign") for (const t of st.targets) if (!t.next) f.bound.add(t.name);
    for (const g of def.generics) {
      let v = generics.get(g.name);
      if (!v && g.default) {
        const d = isWordParam(def, g.name) ? this.evalStatic(g.default, f) : this.evalDim(g.default, f);
        v = d instanceof Poly ? { kind: "dim", poly: d } : d;
      }
      if (!v) {
        this.report(f, "SEQ0104", `${def.name} needs the compile-time argument \`${g.name}\``, { loc: g.loc });
        return undefined;
      }
      if (v.kind === "word") f.words.set(g.name, v.word);
      else f.dims.set(g.name, v.kind === "dim" ? v.poly : Poly.const(v.value));
    }
    // Unify declared input shapes with the arguments: bare new names bind first, expressions are checked after.
    for (const s of steps) {
      s.p.type.dims.forEach((d, i) => {
        if (d.op === "ref" && !f.dims.has(d.name) && s.t.dims[i]) f.dims.set(d.name, s.t.dims[i]!);
      });
    }
    for (const s of steps) {
      const declared = this.evalShape({ ...s.p.type, vocab: undefined }, f);
      if (!declared) return undefined;
      if (!sameDims(declared.dims, s.t.dims, this.env)) {
        this.report(f, "SEQ0303", `${def.name} expects ${s.p.name}: ${this.fmt(declared)}, but got ${this.fmt(s.t)}`, { loc: s.p.loc, message: this.fmt(declared) }, [], this.where(declared, s.t));
        return undefined;
      }
      f.values.set(s.p.name, s.t);
    }
    for (const st of def.body) {
      if (st.kind === "param") {
        const t = this.evalShape(st.type, f);
        if (!t) return undefined;
        f.values.set(st.name, t);
        const info: ParamInfo = { name: st.name, dims: t.dims, count: size(t.dims, Poly.const(1)) };
        if (st.init) info.init = st.init;
        f.params.push(info);
      } else if (st.kind === "state" && def.kind === "cell") {
        const t = this.evalShape(st.type, f);
        if (!t) return undefined;
        f.states.set(st.name, t);
      } else if (st.kind === "const") this.declareConst(st, f);
    }
    for (const st of def.body) {
      if (st.kind === "state" && st.init && st.init.op !== "num" && def.kind === "cell") {
        const t = this.evalExpr(st.init, f);
        const want = f.states.get(st.name)!;
        if (t && (t.kind !== "tensor" || !sameDims(t.dims, want.dims, this.env))) {
          this.report(f, "SEQ0314", `the initial ${st.name} must be ${this.fmt(want)}, but this is ${this.fmt(t)}`, { loc: st.init.loc, message: this.fmt(t) });
        }
      }
    }
    let out: Tensor | undefined;
    for (const st of def.body) {
      if (st.kind === "assign") this.assign(st, f);
      else if (st.kind === "out") {
        const t = this.evalExpr(st.value, f);
        if (t?.kind === "tuple") this.report(f, "SEQ0111", "out takes one tensor", { loc: st.value.loc });
        else out = t;
      }
    }
    if (!out) return undefined;
    this.countMasked(def, f);
    this.runningStatistics(def.body, f, def.kind);
    if (def.output) {
      const declared = this.evalShape(def.output, f);
      if (declared && !sameDims(declared.dims, out.dims, this.env)) {
        this.report(f, "SEQ0310", `${def.name} declares its output as ${this.fmt(declared)}, but \`out\` gives ${this.fmt(out)}`, { loc: def.output.loc, message: this.fmt(declared) }, [{ loc: def.body.find((s) => s.kind === "out")!.loc, message: this.fmt(out) }], this.where(declared, out));
        return undefined;
      }
    }
    return { out, states: f.states, params: f.params, frame: f };
  }

  private assign(st: Extract<Stmt<Expr>, { kind: "assign" }>, f: Frame): void {
    const single = st.targets.length === 1 ? st.targets[0]! : undefined;
    const t = this.evalExpr(st.value, f, single && !single.next && f.kind === "model" ? single.name : undefined);
    const fail = () => {
      for (const tg of st.targets) f.failed.add(tg.next ? `${tg.name}'` : tg.name);
    };
    if (!t) return fail();
    let parts: Tensor[];
    if (t.kind === "tuple") {
      if (t.items.length !== st.targets.length) {
        this.report(f, "SEQ0307", `this gives ${t.items.length} values, but ${st.targets.length} name${st.targets.length === 1 ? " is" : "s are"} bound`, { loc: st.loc });
        return fail();
      }
      parts = t.items;
    } else if (st.targets.length !== 1) {
      this.report(f, "SEQ0307", `this gives one value, but ${st.targets.length} names are bound`, { loc: st.loc });
      return fail();
    } else parts = [t];
    st.targets.forEach((tg, i) => {
      const v = parts[i]!;
      if (!tg.next) {
        f.values.set(tg.name, v);
        return;
      }
      const state = f.states.get(tg.name);
      if (!state) {
        // Outside cells the statement-placement rule reports it.
        if (f.kind === "cell") this.report(f, "SEQ0108", `\`${tg.name}'\`: ${tg.name} is not a state`, { loc: tg.loc }, [], [], didYouMean(tg.name, f.states.keys()));
        return;
      }
      if (!sameDims(state.dims, v.dims, this.env)) {
        this.report(f, "SEQ0306", `the next value of state ${tg.name} must be ${this.fmt(state)}, but this is ${this.fmt(v)}`, { loc: st.value.loc, message: this.fmt(v) }, [], this.where(state, v));
      }
      f.next.set(tg.name, state);
    });
  }

  /** Top-level dims and vocabularies: all the user's for a model, the definition's own module's for a definition. */
  private declareGlobals(f: Frame): void {
    for (const g of this.index.globals) {
      if (f.kind !== "model" && g.module !== f.module) continue;
      if (g.node.kind === "dim") {
        if (!f.dims.has(g.node.name)) {
          const existing = this.env.get(g.node.name);
          if (existing) f.dims.set(g.node.name, Poly.atom(existing));
          else this.declareDim(g.node, f);
        }
      } else if (!f.vocabs.has(g.node.name)) {
        const existing = this.env.get(g.node.size);
        if (existing) {
          f.dims.set(g.node.size, Poly.atom(existing));
          f.vocabs.set(g.node.name, Poly.atom(existing));
          if (g.node.tokens) f.tokens.set(g.node.name, g.node.tokens);
        } else this.declareVocab(g.node, f);
      }
    }
  }

  // ---------------------------------------------------------------- models

  checkModel(model: ModelDecl<Expr>, module: LoadedModule): ModelInfo {
    const f = new Frame("model", module, [], undefined, undefined, false);
    f.model = model;
    this.declareGlobals(f);
    for (const st of model.body) if (st.kind === "assign") for (const t of st.targets) f.bound.add(t.name);
    const values: ValueInfo[] = [];
    for (const st of model.body) {
      switch (st.kind) {
        case "dim":
          this.declareDim(st, f);
          break;
        case "vocab":
          this.declareVocab(st, f);
          break;
        case "input":
        case "target": {
          const t = this.evalShape(st.type, f);
          if (t) f.values.set(st.name, t);
          else f.failed.add(st.name);
          if (t) values.push({ name: st.name, kind: st.kind, ty: t, params: [], loc: st.loc });
          break;
        }
        case "assign": {
          const before = f.params.length;
          f.binding = st.targets[0]!.name;
          this.assign(st, f);
          f.binding = "";
          const params = f.params.slice(before);
          st.targets.forEach((tg, i) => {
            const ty = f.values.get(tg.name);
            if (ty && !tg.next) values.push({ name: tg.name, kind: "value", ty, params: i === 0 ? params : [], loc: st.loc });
          });
          break;
        }
        case "const":
          this.declareConst(st, f);
          break;
        case "loss": {
          const t = this.evalExpr(st.value, f);
          // Any expression that is one float per example is a loss (`0.5 * mse(p, y) + sum(sum(abs(r)))`).
          if (t?.kind === "tensor" && (t.dims.length > 0 || t.vocab !== undefined)) {
            const what = t.vocab !== undefined ? `tokens of ${t.vocab}, not a number to minimise` : this.fmt(t);
            this.report(f, "SEQ0316", `a loss must be a scalar per example, but this is ${what}`, { loc: st.value.loc, message: this.fmt(t) }, [], this.where(t));
          }
          break;
        }
        case "feedback":
          this.checkFeedback(st, f);
          break;
        default:
          break;
      }
    }
    this.runningStatistics(model.body, f, "model");
    // Masked weights count as the entries they train (trainable), as LeNet-5's figure counts C3's connections.
    const total = trainedTotal(f.params);
    return { frame: f, model, name: model.name, file: module.file, loc: model.loc, env: this.env, values, params: f.params, total };
  }

  /** `const NAME: [shape] = [...]`: a tensor of the spec's numbers; its shape must be numbers and the literal must fill it. */
  private declareConst(st: ConstDecl<Expr>, f: Frame): void {
    const t = this.evalShape(st.type, f);
    if (!t) {
      f.failed.add(st.name);
      return;
    }
    const shape = t.dims.map((d) => this.env.exactValue(d));
    if (t.vocab !== undefined || shape.some((n) => n === undefined)) {
      f.failed.add(st.name);
      this.report(f, "SEQ0317", `const ${st.name} needs a shape of numbers (bound dims), but it is ${this.fmt(t)}`, { loc: st.type.loc, message: this.fmt(t) }, [], this.where(t));
      return;
    }
    const dims = shape.map(Number);
    const data: number[] = [];
    // What is wrong with the entry `v` (at `loc`) of the literal, at that entry; undefined when it fills its place.
    const fill = (v: TensorLiteral, loc: LiteralLoc, axis: number, at: string): { why: string; loc: Loc } | undefined => {
      const wrong = (why: string) => ({ why, loc: { start: loc.start, end: loc.end } });
      if (axis === dims.length) {
        if (Array.isArray(v)) return wrong(`${at} is a list where a number belongs`);
        data.push(v);
        return undefined;
      }
      if (!Array.isArray(v)) return wrong(`${at} is a number where a list of ${dims[axis]} belongs`);
      if (v.length !== dims[axis]) return wrong(`${at} has ${v.length} entries, but axis ${axis} of ${this.fmt(t)} has ${dims[axis]}`);
      for (let i = 0; i < v.length; i++) {
        const problem = fill(v[i]!, loc.items?.[i] ?? loc, axis + 1, `${at}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    };
    const problem = fill(st.value, st.valueLoc, 0, "the value");
    if (problem) {
      f.failed.add(st.name);
      this.report(f, "SEQ0317", `const ${st.name}: ${problem.why}`, { loc: problem.loc }, [{ loc: st.type.loc, message: this.fmt(t) }]);
      return;
    }
    f.values.set(st.name, t);
    f.consts.set(st.name, { shape: dims, data });
  }

  /**
   * A param of this definition read only as `W * mask` (either order) with one
   * const `mask` trains only the entries where the mask, broadcast to W's
   * shape, is not 0: that number is its `trainable` count.
   */
  private countMasked(def: DefDecl<Expr>, f: Frame): void {
    const exprs = def.body.flatMap((s) => (s.kind === "assign" || s.kind === "out" ? [s.value] : []));
    for (const p of f.params) {
      const masks = new Set<string>();
      let bare = 0;
      let masked = 0;
      for (const e of exprs) {
        walkExpr(e, (x) => {
          if (x.op === "mul") {
            const [a, b] = x.args;
            const mask = a?.op === "ref" && a.name === p.name && b?.op === "ref" ? b.name : b?.op === "ref" && b.name === p.name && a?.op === "ref" ? a.name : undefined;
            if (mask !== undefined && f.consts.has(mask)) {
              masks.add(mask);
              masked++;
            }
          }
          if (x.op === "ref" && x.name === p.name) bare++;
        });
      }
      // Every read of p is one operand of a product with the same const.
      if (masks.size !== 1 || bare !== masked) continue;
      const shape = p.dims.map((d) => this.env.exactValue(d));
      if (shape.some((n) => n === undefined)) continue;
      p.trainable = countNonzero(shape.map(Number), f.consts.get([...masks][0]!)!);
    }
  }

  /**
   * batch_normalize keeps its running statistics in params of the definition that calls it (the std fn
   * batch_norm's `mean` and `var`): its second and third arguments must name such params, read nowhere else
   * (they are state the op updates while training, not weights: no gradient reaches them), and not in a cell
   * (a scan's steps would need statistics of their own). Those params are marked `running`, trained 0.
   */
  private runningStatistics(body: Stmt<Expr>[], f: Frame, kind: "cell" | "fn" | "model"): void {
    const exprs = body.flatMap((s) => (s.kind === "assign" || s.kind === "out" || s.kind === "loss" ? [s.value] : []));
    const declared = new Set(body.flatMap((s) => (s.kind === "param" ? [s.name] : [])));
    const running = new Map<string, number>();
    const reads = new Map<string, number>();
    for (const e of exprs) {
      walkExpr(e, (x) => {
        if (x.op === "ref") reads.set(x.name, (reads.get(x.name) ?? 0) + 1);
        if (x.op !== "batch_normalize") return;
        if (kind === "cell") {
          this.report(f, "SEQ0318", "batch_normalize in a cell: the steps of a scan would need batch statistics of their own", { loc: x.loc }, [], [], "normalise the scan's input or output outside the cell (`batch_norm(lstm<H>(x))`), or use layer_norm inside it");
          return;
        }
        for (const i of [1, 2]) {
          const a = x.args[i];
          if (a?.op === "ref" && declared.has(a.name)) running.set(a.name, (running.get(a.name) ?? 0) + 1);
          else if (a) this.report(f, "SEQ0318", `batch_normalize keeps its running ${i === 1 ? "mean" : "variance"} in a param of the fn that calls it, but this is not one`, { loc: a.loc });
        }
      });
    }
    for (const [name, n] of running) {
      if (reads.get(name) !== n) {
        const site = body.find((s) => s.kind === "param" && s.name === name)!;
        this.report(f, "SEQ0318", `${name} is a running statistic of batch_normalize, so nothing else may read it (it is updated while training, not trained)`, { loc: site.loc });
      }
      const p = f.params.find((q) => q.name === name);
      if (p) {
        p.running = true;
        p.trainable = 0;
      }
    }
  }

  private checkFeedback(st: Extract<Stmt<Expr>, { kind: "feedback" }>, f: Frame): void {
    const x = f.values.get(st.input);
    const z = f.values.get(st.source);
    if (!x || !z) {
      const missing = !x ? st.input : st.source;
      // A value whose definition failed was reported there.
      if (f.failed.has(missing)) return;
      this.report(f, "SEQ0101", `unknown name \`${missing}\``, { loc: st.loc }, [], [], didYouMean(missing, f.values.keys()));
      return;
    }
    const decl = f.model?.body.find((s) => "name" in s && s.name === st.input);
    if (x.kind !== "tensor" || decl?.kind !== "input") {
      // What it is, by its declaration: a value computed in the model has none of these.
      const what = decl?.kind === "target" ? "a target" : decl?.kind === "param" ? "a param" : decl?.kind === "const" ? "a const" : decl?.kind === "state" ? "a state" : "a computed value";
      this.report(f, "SEQ0315", `feedback needs ${st.input} to be an input of the model, but it is ${what}, ${this.fmt(x)}`, { loc: st.loc });
      return;
    }
    if (x.vocab === undefined) {
      // Real values: in closed loop the source's value at step t is the input at step t (the prediction replaces the observed series).
      if (z.kind !== "tensor" || z.vocab !== undefined || !sameDims(z.dims, x.dims, this.env)) {
        this.report(f, "SEQ0315", `feedback feeds ${st.source} back as ${st.input} ${this.fmt(x)}, so it must have that shape, but it is ${this.fmt(z)}`, { loc: st.loc }, [], this.where(x));
      } else if (st.until !== undefined) {
        this.report(f, "SEQ0315", `a stop token needs a token input; ${st.input} is real-valued`, { loc: st.loc });
      }
      return;
    }
    const v = f.vocabs.get(x.vocab)!;
    const ok = z.kind === "tensor" && sameDims(z.dims, [...x.dims, v], this.env);
    if (!ok) {
      this.report(f, "SEQ0315", `feedback draws ${st.input} ${this.fmt(x)} from ${st.source}, which must be ${this.fmt(tensor([...x.dims, v]))} but is ${this.fmt(z)}`, { loc: st.loc }, [], this.where(x));
    }
    const tokens = f.tokens.get(x.vocab);
    if (st.until !== undefined && tokens && !tokens.includes(st.until)) {
      this.report(f, "SEQ0315", `the stop token ${JSON.stringify(st.until)} is not in the vocabulary ${x.vocab}`, { loc: st.loc });
    }
  }

  /** A stand-in for a declared input dim of an unused definition: its own atom, or a fresh one for an expression. */
  private unknownDim(d: Expr): Poly {
    if (d.op !== "ref") return this.env.opaque();
    const known = this.env.get(d.name);
    return known ? Poly.atom(known) : this.env.declare({ name: d.name, multiple: 1 });
  }

  /**
   * Checks a definition on its own, with a fresh dim for each unknown (errors that need values are not reported):
   * the shapes rule does so for user definitions no model uses, an editor for the shapes inside any definition.
   * The frame holds what it found, in the definition's own dims (`[4*H, H + X]`).
   */
  checkUnusedDef(def: DefDecl<Expr>, module: LoadedModule): Frame {
    const f = new Frame(def.kind, module, [def.name], undefined, undefined, true);
    const generics = new Map<string, Static>();
    for (const g of def.generics) {
      if (g.default) continue;
      generics.set(g.name, { kind: "dim", poly: this.env.declare({ name: g.name, multiple: 1 }) });
    }
    const steps = def.inputs.map((p) => ({
      p,
      t: tensor(p.type.dims.map((d) => this.unknownDim(d))),
      loc: p.loc,
    }));
    this.checkDefBody(def, f, generics, steps);
    return f;
  }
}

function staticKey(v: Static): string {
  return v.kind === "num" ? `n${v.value}` : v.kind === "word" ? `w${v.word}` : `d${v.poly.key()}`;
}

/** A generic param is a word (like `pad=valid`) when its default is a name that is not a dim of the definition. */
function isWordParam(def: DefDecl<Expr>, name: string): boolean {
  const g = def.generics.find((x) => x.name === name);
  return g?.default?.op === "ref" && !def.generics.some((x) => x.name === (g.default as { name: string }).name);
}

function formatDecl(t: ShapeType<Expr>): string {
  return `[${t.dims.map((d) => (d.op === "ref" ? d.name : d.op === "num" ? String(d.value) : "…")).join(", ")}]`;
}

/** The entries of a tensor of `shape` where `mask`, broadcast to it (trailing axes aligned), is not 0. */
function countNonzero(shape: number[], mask: { shape: number[]; data: number[] }): number {
  const total = shape.reduce((a, b) => a * b, 1);
  const lead = shape.length - mask.shape.length;
  let n = 0;
  for (let i = 0; i < total; i++) {
    let rest = i;
    let at = 0;
    let stride = 1;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const k = rest % shape[axis]!;
      rest = Math.floor(rest / shape[axis]!);
      const m = axis - lead;
      if (m >= 0 && mask.shape[m]! > 1) at += k * stride;
      if (m >= 0) stride *= mask.shape[m]!;
    }
    if (mask.data[at] !== 0) n++;
  }
  return n;
}
