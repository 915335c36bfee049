/**
 * What an editor asks of a checked program: the declarations of the root file
 * (models, cells, fns, dims, vocabularies and what each declares inside), the
 * declaration each name of the root file resolves to, the names in scope at an
 * offset, and for every declaration what the checker found about it: a value's
 * shape, a param's count, a dim's binding, a definition's signature.
 *
 * Names resolve as the checker resolves them (infer.ts): in a model, to its
 * values, its dims and every user module's top-level dims and vocabularies; in
 * a cell or fn, to its inputs, params, states and lets, its compile-time
 * arguments, the dims its signature binds and its own module's top-level
 * dims; then to cells and fns (the user's before the standard library's) and
 * the builtins. A name used before its definition (an error) still resolves.
 *
 * Shapes are the checker's: a model's values as the model's inference typed
 * them, a definition's insides as the definition checked on its own, in its
 * own dims (`[4*H, H + X]`).
 */
import type { ConstDecl, DefDecl, DimDecl, Expr, GenericParam, IoDecl, Item, Loc, ModelDecl, ParamDecl, ShapeType, SigParam, StateDecl, Stmt, TrainBlock, VocabDecl } from "../ir/ir.js";
import { isOpExpr } from "../ir/ir.js";
import { OPS, type OpInfo } from "../ir/ops.js";
import { declaration, expr as printExpr, signature } from "../ir/print.js";
import type { LoadedModule, Program } from "../ir/program.js";
import { DimEnv, Poly } from "./dims.js";
import { Frame, Inference, trainedTotal, type ModelInfo } from "./infer.js";
import { INITIALISERS } from "./rules/initialisers.js";
import { OPTIMIZERS, TRAIN_SETTINGS } from "./rules/train-settings.js";
import { indexProgram, type ProgramIndex } from "./scope.js";
import type { Count } from "./summary.js";
import { formatTy, type Ty } from "./types.js";

/** What a name is. The last four are builtins, declared by seqc rather than in a spec. */
export type SymbolKind =
  | "model" | "cell" | "fn" | "dim" | "vocab" | "input" | "target" | "value" | "param" | "state" | "const" | "option"
  | "op" | "initialiser" | "optimizer" | "setting";

/** Where a symbol is declared: the file (as diagnostics name it, and its absolute path), the declaration's offsets and its name's. */
export interface SymbolSite {
  file: string;
  path: string;
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
}

/** A declared name and what the checker knows about it. */
export interface SymbolInfo {
  name: string;
  kind: SymbolKind;
  /** Absent for builtins. */
  site?: SymbolSite;
  /** Declared in the standard library. */
  std: boolean;
  /** The model, cell or fn it is declared in (none at the top level). */
  container?: { kind: "model" | "cell" | "fn"; name: string };
  /** One line that says what it is, in the spec's syntax: `h: [T, H]`, `param W: [4*H, H + X] = glorot`, `cell lstm<H>(x: [X]) -> [H]`, `dim H = 128`. */
  detail: string;
  /** Its comments in the spec, or a builtin's description. */
  doc?: string;
  /** A value's, input's, param's or state's shape as the checker inferred it. */
  shape?: string;
  dtype?: "float32" | "int32";
  vocab?: string;
  /** The bound dims its shape uses: `H = 128, V = 65`. */
  where?: string;
  /** Parameters: a param's count, those a model value's expression creates, a cell's or fn's per application, a model's total. */
  params?: Count;
  /** How a dim or a vocabulary gets its value. */
  binding?: string;
  /** A cell's or fn's param as each model's applications create it: `char_lstm: h.W [4*H, H + V]`. */
  instances?: { model: string; name: string; shape: string; count: Count }[];
  /** Other facts, one a line (a cell's states). */
  notes?: string[];
  /** In an outline: the declarations inside a model, cell or fn. */
  children?: SymbolInfo[];
}

/** A name at a place of the root file: the symbol it declares or refers to, its span, and the type the checker gave this occurrence. */
export interface Occurrence {
  symbol: SymbolInfo;
  start: number;
  end: number;
  /** True on the name of its own declaration. */
  declaration: boolean;
  /** The type of the expression here (`enc.c` is the final state in the model's dims). */
  shape?: string;
}

type Block = ModelDecl<Expr> | DefDecl<Expr>;

interface Decl {
  name: string;
  kind: SymbolKind;
  /** Absent for builtins. */
  module?: LoadedModule;
  loc?: Loc;
  nameLoc?: Loc;
  block?: Block;
  /** The declaring item or statement (a definition's compile-time argument or input for those). */
  node?: Item<Expr> | Stmt<Expr> | GenericParam<Expr> | SigParam<Expr>;
  /** A dim that sizes this vocabulary. */
  sizes?: VocabDecl;
  /** A dim that this signature input's shape binds. */
  boundBy?: SigParam<Expr>;
}

interface Ref {
  loc: Loc;
  decl: Decl;
  /** The expression the name is (its type is the occurrence's). */
  expr?: Expr;
  /** The model, cell or fn the name is used in. */
  block?: Block;
  declaration?: boolean;
}

/** The names of one scope (a module's top level, a model, a cell or fn), its own declarations in order, and the uses of names in it. */
interface Scope {
  module: LoadedModule;
  block?: Block;
  own: Decl[];
  values: Map<string, Decl>;
  states: Map<string, Decl>;
  dims: Map<string, Decl>;
  vocabs: Map<string, Decl>;
  refs: Ref[];
}

/** How a name in an expression is read: as a tensor, a dim, a param's initialiser, or a training setting's value. */
type Reading = "value" | "dim" | "init" | "train";

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

/** The offsets of the first whole-word `name` in text[from, to). */
export function findName(text: string, from: number, to: number, name: string): Loc | undefined {
  for (let i = from; i < to; ) {
    WORD.lastIndex = i;
    const m = WORD.exec(text);
    if (!m || m.index >= to) {
      i++;
      continue;
    }
    if (m[0] === name && (m.index === 0 || !/[A-Za-z0-9_]/.test(text[m.index - 1]!))) return { start: m.index, end: m.index + name.length };
    i = m.index + m[0].length;
  }
  return undefined;
}

/** The comments before a node (and the one after it on its line), without their `#`. */
function docOf(node: { comments?: { before?: string[]; after?: string } } | undefined): string | undefined {
  const lines = [...(node?.comments?.before ?? []), ...(node?.comments?.after ? [node.comments.after] : [])].map((c) => c.replace(/^#\s?/, ""));
  return lines.length > 0 ? lines.join("\n") : undefined;
}

function opDetail(name: string, info: OpInfo): string {
  const [min, max] = info.arity;
  const args = max === Infinity ? ["x", "..."] : min === 1 && max === 1 ? ["x"] : ["a", "b"].slice(0, max);
  const named = Object.entries(info.named ?? {}).map(([k, v]) => `${k}: ${typeof v === "string" ? v : String(v)}`);
  return `${name}${info.generic ? `<${info.generic.join(", ")}>` : ""}(${[...args, ...named].join(", ")})`;
}

const BUILTINS = new Map<string, Decl>();
function builtin(kind: "op" | "initialiser" | "optimizer" | "setting", name: string): Decl {
  const key = `${kind}:${name}`;
  let d = BUILTINS.get(key);
  if (!d) BUILTINS.set(key, (d = { name, kind }));
  return d;
}

/** A generic param is a word (like `pad=valid`) when its default is a name that is not another of the definition's params (as infer.ts decides). */
function isWordParam(def: DefDecl<Expr>, g: GenericParam<Expr>): boolean {
  return g.default?.op === "ref" && !def.generics.some((x) => x.name === (g.default as { name: string }).name);
}

/** A checked program, indexed for an editor. */
export class ProgramSymbols {
  private readonly index: ProgramIndex;
  private readonly scopes = new Map<Block | LoadedModule, Scope>();
  private readonly defDecls = new Map<DefDecl<Expr>, Decl>();
  private readonly standalone = new Map<DefDecl<Expr>, { frame: Frame; env: DimEnv } | undefined>();
  private readonly described = new Map<Decl, SymbolInfo>();

  constructor(
    private readonly program: Program,
    private readonly models: readonly ModelInfo[],
  ) {
    this.index = indexProgram(program);
  }

  // ---------------------------------------------------------------- queries

  /** The root file's declarations in order, the members of models, cells and fns as their children. */
  outline(): SymbolInfo[] {
    const root = this.program.root;
    const top = this.scope(root);
    const out: SymbolInfo[] = [];
    for (const item of root.ir.items) {
      if (item.kind === "model" || item.kind === "cell" || item.kind === "fn") {
        const decl = item.kind === "model" ? this.modelDecl(item, root) : this.defDecl(item, root);
        out.push({ ...this.describe(decl), children: this.scope(item, root).own.map((d) => this.describe(d)) });
      } else out.push(...top.own.filter((d) => d.node === item).map((d) => this.describe(d)));
    }
    return out;
  }

  /** The name at an offset of the root file (its declaration, or a use of it), if any. */
  at(offset: number): Occurrence | undefined {
    // A name the offset is inside beats one it is just after (the cursor at the end of a word); then the shortest.
    const rank = (r: Ref) => (r.loc.end === offset && r.loc.start < offset ? 1e9 : 0) + r.loc.end - r.loc.start;
    let best: Ref | undefined;
    for (const r of this.rootRefs()) {
      if (offset >= r.loc.start && offset <= r.loc.end && (!best || rank(r) < rank(best))) best = r;
    }
    if (!best) return undefined;
    const occurrence: Occurrence = { symbol: this.describe(best.decl), start: best.loc.start, end: best.loc.end, declaration: best.declaration === true };
    const shape = best.expr && this.typeAt(best);
    if (shape) occurrence.shape = shape;
    return occurrence;
  }

  /**
   * What may be written at an offset of the root file: in a `train {}` block its
   * settings and the optimizers; in a model, cell or fn the names in scope there
   * (values declared before the offset), the cells and fns, the builtin ops (and
   * in a cell or fn the initialisers); at the top level the top-level dims,
   * vocabularies, cells and fns.
   */
  completions(offset: number): SymbolInfo[] {
    const root = this.program.root;
    const text = this.program.sources.get(root.file) ?? "";
    const block = root.ir.items.find((i): i is Block => (i.kind === "model" || i.kind === "cell" || i.kind === "fn") && i.loc.start < offset && offset <= i.loc.end);
    const before = text.slice(block?.loc.start ?? 0, offset);
    // Judged from the text: while a setting is being typed the block may not parse.
    if (block?.kind === "model" && /\btrain\s*\{[^}]*$/.test(before)) {
      return [
        ...Object.keys(TRAIN_SETTINGS).map((k) => this.describe(builtin("setting", k))),
        ...Object.keys(OPTIMIZERS).map((k) => this.describe(builtin("optimizer", k))),
      ];
    }
    const defs = [...this.index.defs.values()].map((d) => this.describe(this.defDecl(d.node, d.module)));
    const top = this.scope(root);
    if (!block) return [...top.dims.values(), ...top.vocabs.values()].map((d) => this.describe(d)).concat(defs);
    const scope = this.scope(block, root);
    // A value (and a model's input or target) is in scope after its statement, not in it; the rest in the whole block.
    const here = (d: Decl) => {
      const ordered = d.kind === "value" || (block.kind === "model" && (d.kind === "input" || d.kind === "target"));
      return !ordered || (d.node !== undefined && "loc" in d.node && d.node.loc.end < offset);
    };
    const names = new Map<string, Decl>();
    for (const map of [scope.vocabs, scope.dims, scope.states, scope.values]) for (const [k, d] of map) if (here(d)) names.set(k, d);
    const ops = Object.entries(OPS).filter(([, info]) => info.syntax.kind === "call").map(([k]) => this.describe(builtin("op", k)));
    const inits = block.kind === "model" ? [] : INITIALISERS.map((k) => this.describe(builtin("initialiser", k)));
    return [...[...names.values()].map((d) => this.describe(d)), ...defs, ...ops, ...inits];
  }

  // ---------------------------------------------------------------- scopes

  private rootRefs(): Ref[] {
    const root = this.program.root;
    const refs = [...this.scope(root).refs];
    for (const item of root.ir.items) if (item.kind === "model" || item.kind === "cell" || item.kind === "fn") refs.push(...this.scope(item, root).refs);
    return refs;
  }

  private text(module: LoadedModule): string {
    return this.program.sources.get(module.file) ?? "";
  }

  private decl(d: Decl, scope: Scope): Decl {
    scope.own.push(d);
    if (d.nameLoc) this.use(scope, { loc: d.nameLoc, decl: d, declaration: true });
    return d;
  }

  /** A declaration whose name is found in the text of its statement. */
  private declIn(kind: SymbolKind, name: string, loc: Loc, module: LoadedModule, block: Block | undefined, node: Decl["node"], from = loc.start): Decl {
    const d: Decl = { name, kind, module, loc, node };
    if (block) d.block = block;
    const nameLoc = findName(this.text(module), from, loc.end, name);
    if (nameLoc) d.nameLoc = nameLoc;
    return d;
  }

  private use(scope: Scope, r: Ref): void {
    if (scope.block) r.block = scope.block;
    scope.refs.push(r);
  }

  private modelDecl(node: ModelDecl<Expr>, module: LoadedModule): Decl {
    return { name: node.name, kind: "model", module, loc: node.loc, nameLoc: node.nameLoc, node };
  }

  private defDecl(node: DefDecl<Expr>, module: LoadedModule): Decl {
    let d = this.defDecls.get(node);
    if (!d) this.defDecls.set(node, (d = { name: node.name, kind: node.kind, module, loc: node.loc, nameLoc: node.nameLoc, node }));
    return d;
  }

  private moduleOf(block: Block): LoadedModule {
    return this.program.modules.find((m) => m.ir.items.includes(block))!;
  }

  /** The scope of a module's top level, or of a model, cell or fn (built once). */
  private scope(of: LoadedModule | Block, known?: LoadedModule): Scope {
    const cached = this.scopes.get(of);
    if (cached) return cached;
    const block = "kind" in of ? of : undefined;
    const module = block ? (known ?? this.moduleOf(block)) : (of as LoadedModule);
    const scope: Scope = { module, own: [], values: new Map(), states: new Map(), dims: new Map(), vocabs: new Map(), refs: [] };
    if (block) scope.block = block;
    this.scopes.set(of, scope);
    if (!block) this.fillTop(scope);
    else {
      // A model sees every user module's top-level dims and vocabularies; a definition its own module's.
      const tops = block.kind === "model" ? this.program.modules.filter((m) => !m.std) : [module];
      for (const m of tops) {
        const top = this.scope(m);
        for (const [k, d] of top.dims) if (!scope.dims.has(k)) scope.dims.set(k, d);
        for (const [k, d] of top.vocabs) if (!scope.vocabs.has(k)) scope.vocabs.set(k, d);
      }
      if (block.kind === "model") this.fillModel(block, scope);
      else this.fillDef(block, scope);
    }
    return scope;
  }

  private dimOrVocab(s: DimDecl<Expr> | VocabDecl, scope: Scope): void {
    const d = this.decl(this.declIn(s.kind, s.name, s.loc, scope.module, scope.block, s), scope);
    if (s.kind === "dim") {
      scope.dims.set(s.name, d);
      return;
    }
    scope.vocabs.set(s.name, d);
    const nameEnd = d.nameLoc?.end ?? s.loc.start;
    const size = this.decl({ ...this.declIn("dim", s.size, s.loc, scope.module, scope.block, s, nameEnd), sizes: s }, scope);
    scope.dims.set(s.size, size);
  }

  private fillTop(scope: Scope): void {
    for (const item of scope.module.ir.items) if (item.kind === "dim" || item.kind === "vocab") this.dimOrVocab(item, scope);
    for (const item of scope.module.ir.items) if (item.kind === "dim" && item.value) this.expr(item.value, scope, "dim");
  }

  private fillModel(model: ModelDecl<Expr>, scope: Scope): void {
    const { module } = scope;
    for (const s of model.body) {
      if (s.kind === "dim" || s.kind === "vocab") this.dimOrVocab(s, scope);
      else if (s.kind === "input" || s.kind === "target" || s.kind === "const") scope.values.set(s.name, this.decl(this.declIn(s.kind, s.name, s.loc, module, model, s), scope));
      else if (s.kind === "assign") this.assignTargets(s, scope);
    }
    const text = this.text(module);
    for (const s of model.body) {
      switch (s.kind) {
        case "dim":
          if (s.value) this.expr(s.value, scope, "dim");
          break;
        case "input":
        case "target":
        case "const":
          this.shape(s.type, s.loc.end, scope);
          break;
        case "assign":
        case "loss":
          this.statement(s, scope);
          break;
        case "feedback": {
          const input = findName(text, s.loc.start, s.loc.end, s.input);
          const d = scope.values.get(s.input);
          if (input && d) this.use(scope, { loc: input, decl: d });
          const from = findName(text, s.loc.start, s.loc.end, "from");
          const source = findName(text, from?.end ?? s.loc.start, s.loc.end, s.source);
          const src = scope.values.get(s.source);
          if (source && src) this.use(scope, { loc: source, decl: src });
          break;
        }
        case "train":
          this.train(s, scope);
          break;
        default:
          break;
      }
    }
  }

  private train(s: TrainBlock<Expr>, scope: Scope): void {
    for (const entry of s.entries) {
      if (Object.hasOwn(TRAIN_SETTINGS, entry.key)) this.use(scope, { loc: { start: entry.loc.start, end: entry.loc.start + entry.key.length }, decl: builtin("setting", entry.key) });
      this.expr(entry.value, scope, "train");
    }
  }

  private fillDef(def: DefDecl<Expr>, scope: Scope): void {
    const { module } = scope;
    for (const g of def.generics) {
      const d = this.decl({ name: g.name, kind: isWordParam(def, g) ? "option" : "dim", module, loc: g.loc, nameLoc: { start: g.loc.start, end: g.loc.start + g.name.length }, block: def, node: g }, scope);
      scope.dims.set(g.name, d);
    }
    for (const p of def.inputs) {
      scope.values.set(p.name, this.decl(this.declIn("input", p.name, p.loc, module, def, p, p.ctx ? findName(this.text(module), p.loc.start, p.loc.end, "ctx")?.end : undefined), scope));
    }
    // A bare name in an input's shape that is not yet a dim is bound by the argument (as the checker binds it).
    for (const p of def.inputs) {
      for (const e of p.type.dims) {
        if (e.op !== "ref" || scope.dims.has(e.name)) continue;
        scope.dims.set(e.name, this.decl({ name: e.name, kind: "dim", module, loc: e.loc, nameLoc: e.loc, block: def, node: p, boundBy: p }, scope));
      }
    }
    for (const s of def.body) {
      if (s.kind === "param") scope.values.set(s.name, this.decl(this.declIn("param", s.name, s.loc, module, def, s), scope));
      else if (s.kind === "state") scope.states.set(s.name, this.decl(this.declIn("state", s.name, s.loc, module, def, s), scope));
      else if (s.kind === "const") scope.values.set(s.name, this.decl(this.declIn("const", s.name, s.loc, module, def, s), scope));
    }
    for (const s of def.body) if (s.kind === "assign") this.assignTargets(s, scope);
    for (const g of def.generics) if (g.default && !isWordParam(def, g)) this.expr(g.default, scope, "dim");
    for (const p of def.inputs) this.shape(p.type, p.loc.end, scope);
    if (def.output) this.shape(def.output, def.output.loc.end, scope);
    for (const s of def.body) {
      if (s.kind === "const") this.shape(s.type, s.type.loc.end, scope);
      else if (s.kind === "param" || s.kind === "state") {
        this.shape(s.type, s.type.loc.end, scope);
        if (s.init) this.expr(s.init, scope, s.kind === "param" ? "init" : "value");
      } else this.statement(s, scope);
    }
  }

  /** Declares the names an assignment binds (the first binding of each; later ones are uses, see `statement`). */
  private assignTargets(s: Extract<Stmt<Expr>, { kind: "assign" }>, scope: Scope): void {
    for (const t of s.targets) {
      if (t.next || scope.values.has(t.name)) continue;
      const d: Decl = { name: t.name, kind: "value", module: scope.module, loc: s.loc, nameLoc: { start: t.loc.start, end: t.loc.start + t.name.length }, node: s };
      if (scope.block) d.block = scope.block;
      scope.values.set(t.name, this.decl(d, scope));
    }
  }

  private statement(s: Stmt<Expr>, scope: Scope): void {
    if (s.kind === "assign") {
      for (const t of s.targets) {
        const loc = { start: t.loc.start, end: t.loc.start + t.name.length };
        const d = t.next ? scope.states.get(t.name) : scope.values.get(t.name);
        if (d && d.nameLoc?.start !== loc.start) this.use(scope, { loc, decl: d });
      }
      this.expr(s.value, scope, "value");
    } else if (s.kind === "out" || s.kind === "loss") this.expr(s.value, scope, "value");
  }

  /** The dims of a shape, and its vocabulary (`[T] of chars`, found in the text before `end`). */
  private shape(t: ShapeType<Expr>, end: number, scope: Scope): void {
    for (const d of t.dims) this.expr(d, scope, "dim");
    if (t.vocab === undefined) return;
    const text = this.text(scope.module);
    const of = findName(text, t.loc.start, Math.max(end, t.loc.end), "of");
    const at = of && findName(text, of.end, Math.max(end, t.loc.end), t.vocab);
    const v = scope.vocabs.get(t.vocab);
    if (at && v) this.use(scope, { loc: at, decl: v });
  }

  private resolve(name: string, scope: Scope, reading: Reading): Decl | undefined {
    if (reading === "train") return Object.hasOwn(OPTIMIZERS, name) ? builtin("optimizer", name) : undefined;
    if (reading === "init" && (INITIALISERS as readonly string[]).includes(name)) return builtin("initialiser", name);
    const value = scope.values.get(name) ?? scope.states.get(name);
    const dim = scope.dims.get(name);
    const def = this.index.defs.get(name);
    return (reading === "dim" ? (dim ?? value) : (value ?? dim))
      ?? scope.vocabs.get(name)
      ?? (def && this.defDecl(def.node, def.module))
      ?? (Object.hasOwn(OPS, name) ? builtin("op", name) : undefined);
  }

  private expr(e: Expr, scope: Scope, reading: Reading): void {
    const push = (loc: Loc, decl: Decl | undefined, at?: Expr) => {
      if (decl) this.use(scope, at ? { loc, decl, expr: at } : { loc, decl });
    };
    switch (e.op) {
      case "num":
      case "str":
        return;
      case "ref":
        return push(e.loc, this.resolve(e.name, scope, reading), e);
      case "next":
        return push({ start: e.loc.start, end: e.loc.start + e.name.length }, scope.states.get(e.name), e);
      case "member": {
        const of = scope.values.get(e.of);
        push({ start: e.loc.start, end: e.loc.start + e.of.length }, of);
        push({ start: e.loc.end - e.name.length, end: e.loc.end }, this.finalState(of, e.name), e);
        return;
      }
      case "call": {
        const found = reading === "train" || reading === "init" ? undefined : this.index.defs.get(e.callee);
        const def = found && this.defDecl(found.node, found.module);
        push(e.calleeLoc, def ?? this.resolve(e.callee, scope, reading));
        const callee = found && this.scope(found.node, found.module);
        for (const a of e.generic ?? []) {
          if (a.name !== undefined && callee) push({ start: a.loc.start, end: a.loc.start + a.name.length }, callee.dims.get(a.name));
          this.expr(a.value, scope, "dim");
        }
        for (const a of e.args) this.expr(a, scope, reading === "train" || reading === "init" ? "value" : reading);
        for (const a of e.named ?? []) this.expr(a.value, scope, "value");
        for (const a of e.with ?? []) {
          if (a.name !== undefined && callee) push({ start: a.loc.start, end: a.loc.start + a.name.length }, callee.states.get(a.name));
          this.expr(a.value, scope, "value");
        }
        if (e.modifier?.kind === "repeat") this.expr(e.modifier.count, scope, "dim");
        return;
      }
      default: {
        if (!isOpExpr(e)) return;
        if (OPS[e.op].syntax.kind === "call" && this.text(scope.module).startsWith(e.op, e.loc.start)) push({ start: e.loc.start, end: e.loc.start + e.op.length }, builtin("op", e.op));
        for (const a of e.generic ?? []) this.expr(a.value, scope, "dim");
        for (const a of e.named ?? []) this.expr(a.value, scope, "dim");
        for (const a of e.args) this.expr(a, scope, reading === "dim" ? "dim" : "value");
      }
    }
  }

  /** `enc.c`: the state c of the cell whose scan is bound to enc. */
  private finalState(of: Decl | undefined, name: string): Decl | undefined {
    const s = of?.node;
    if (!s || !("kind" in s) || s.kind !== "assign" || s.value.op !== "call") return undefined;
    const found = this.index.defs.get(s.value.callee);
    return found && found.node.kind === "cell" ? this.scope(found.node, found.module).states.get(name) : undefined;
  }

  // ---------------------------------------------------------------- facts

  private modelInfo(block: Block | undefined): ModelInfo | undefined {
    return block?.kind === "model" ? this.models.find((m) => m.model === block) : undefined;
  }

  /** A definition checked on its own (once), for the shapes inside it in its own dims. */
  private alone(def: DefDecl<Expr>): { frame: Frame; env: DimEnv } | undefined {
    if (this.standalone.has(def)) return this.standalone.get(def);
    let out: { frame: Frame; env: DimEnv } | undefined;
    const found = this.index.defs.get(def.name);
    const module = found?.node === def ? found.module : this.moduleOf(def);
    if (!this.program.diagnostics.some((d) => d.severity === "error")) {
      try {
        const inference = new Inference(this.index, () => {});
        out = { frame: inference.checkUnusedDef(def, module), env: inference.env };
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
    }
    this.standalone.set(def, out);
    return out;
  }

  /** The type the checker gave the expression of a use: in a model the model's inference, in a definition the definition checked alone. */
  private typeAt(r: Ref): string | undefined {
    if (!r.block || !r.expr) return undefined;
    const checked = r.block.kind === "model" ? this.modelInfo(r.block) : this.alone(r.block);
    const t = checked?.frame.types.get(r.expr);
    return t && checked ? formatTy(t, checked.env) : undefined;
  }

  private count(p: Poly, env: DimEnv): Count {
    return { symbolic: env.format(p), value: env.value(p) ?? null };
  }

  private typed(info: SymbolInfo, t: Ty | undefined, env: DimEnv | undefined): void {
    if (!t || !env) return;
    info.shape = formatTy(t, env);
    info.dtype = t.kind === "tensor" && t.vocab !== undefined ? "int32" : "float32";
    if (t.kind === "tensor" && t.vocab !== undefined) info.vocab = t.vocab;
    const where = env.where(t.kind === "tensor" ? t.dims : t.items.flatMap((i) => i.dims));
    if (where) info.where = where.replace(/^where /, "");
  }

  /** A declaration as the symbol the queries return (built once). */
  private describe(d: Decl): SymbolInfo {
    const cached = this.described.get(d);
    if (cached) return cached;
    const info: SymbolInfo = { name: d.name, kind: d.kind, std: d.module?.std ?? false, detail: d.name };
    if (d.module && d.loc && d.nameLoc) {
      info.site = { file: d.module.file, path: d.module.path, start: d.loc.start, end: d.loc.end, nameStart: d.nameLoc.start, nameEnd: d.nameLoc.end };
    }
    if (d.block) info.container = { kind: d.block.kind, name: d.block.name };
    // A vocabulary's size dim shares its statement, not its comments.
    const doc = d.node && "comments" in d.node && !d.sizes ? docOf(d.node) : undefined;
    if (doc) info.doc = doc;
    this.described.set(d, info);
    this.facts(d, info);
    return info;
  }

  private facts(d: Decl, info: SymbolInfo): void {
    const model = this.modelInfo(d.block);
    const def = d.block && d.block.kind !== "model" ? d.block : undefined;
    const alone = def && this.alone(def);
    const node = d.node as Stmt<Expr> | Item<Expr> | undefined;
    switch (d.kind) {
      case "model": {
        info.detail = `model ${d.name}`;
        const m = this.modelInfo(d.node as ModelDecl<Expr>);
        if (m) info.params = this.count(m.total, m.env);
        return;
      }
      case "cell":
      case "fn": {
        const node = d.node as DefDecl<Expr>;
        info.detail = signature(node);
        const own = this.alone(node);
        if (own) {
          info.params = this.count(trainedTotal(own.frame.params), own.env);
          const states = [...own.frame.states].map(([k, t]) => `${k}: ${formatTy(t, own.env)}`);
          if (states.length > 0) info.notes = [`states: ${states.join(", ")}`];
        }
        return;
      }
      case "dim":
        return this.dimFacts(d, info, model);
      case "vocab": {
        const v = d.node as VocabDecl;
        info.detail = declaration(v);
        info.binding = v.tokens ? `${v.tokens.length} tokens; its size is ${v.size} = ${v.tokens.length}` : `tokens from the data; its size is the dim ${v.size}`;
        return;
      }
      case "option": {
        const g = d.node as GenericParam<Expr>;
        info.detail = `${g.name}${g.default ? ` = ${printExpr(g.default, true)}` : ""}`;
        info.binding = `a compile-time option of ${def?.kind} ${def?.name}${g.default ? `, default ${printExpr(g.default, true)}` : ""}`;
        return;
      }
      case "const": {
        const c = d.node as ConstDecl<Expr>;
        this.typed(info, model ? model.frame.values.get(d.name) : alone?.frame.values.get(d.name), model?.env ?? alone?.env);
        info.detail = `const ${d.name}: ${shapeText(c.type)}`;
        info.notes = ["a fixed tensor written in the spec: not a parameter, no gradient"];
        return;
      }
      case "input":
      case "target":
      case "value": {
        const t = model ? model.frame.values.get(d.name) : alone?.frame.values.get(d.name);
        const sig = def && d.kind === "input" ? (d.node as SigParam<Expr>) : undefined;
        const prefix = d.kind === "value" ? "" : sig ? (sig.ctx ? "ctx " : "") : `${d.kind} `;
        this.typed(info, t, model?.env ?? alone?.env);
        if (info.shape) info.detail = `${prefix}${d.name}: ${info.shape}`;
        else if (sig) info.detail = `${prefix}${d.name}: ${shapeText(sig.type)}`;
        else if (node && "kind" in node && (node.kind === "input" || node.kind === "target")) info.detail = declaration(node as IoDecl<Expr>);
        if (model && d.kind === "value") {
          const v = model.values.find((x) => x.name === d.name);
          if (v) info.params = this.count(trainedTotal(v.params), model.env);
        }
        return;
      }
      case "param": {
        const p = d.node as ParamDecl<Expr>;
        info.detail = declaration(p);
        this.typed(info, alone?.frame.values.get(d.name), alone?.env);
        const own = alone?.frame.params.find((x) => x.name === d.name);
        if (own && alone) info.params = this.count(own.count, alone.env);
        if (def) {
          const instances = this.instances(def, d.name);
          if (instances.length > 0) info.instances = instances;
        }
        return;
      }
      case "state": {
        info.detail = declaration(d.node as StateDecl<Expr>);
        this.typed(info, alone?.frame.states.get(d.name), alone?.env);
        return;
      }
      case "op": {
        const op = OPS[d.name as keyof typeof OPS];
        info.detail = opDetail(d.name, op);
        info.doc = op.doc;
        return;
      }
      case "initialiser":
        info.detail = d.name === "uniform" || d.name === "normal" ? `${d.name}(${d.name === "uniform" ? "scale" : "std"})` : d.name;
        info.doc = "a param's first values; the initialisers are zeros, ones, glorot, orthogonal, uniform(scale), normal(std), or a number";
        return;
      case "optimizer":
        info.detail = `${d.name}(${Object.keys(OPTIMIZERS[d.name]!.options).join(", ")})`;
        info.doc = `for \`train { optimizer: ... }\`; options by name: \`${d.name}(${Object.keys(OPTIMIZERS[d.name]!.options)[0]}: 0.01)\``;
        return;
      case "setting":
        info.detail = `${d.name}: ...`;
        info.doc = TRAIN_SETTINGS[d.name]!.doc;
        return;
    }
  }

  private dimFacts(d: Decl, info: SymbolInfo, model: ModelInfo | undefined): void {
    info.detail = `dim ${d.name}`;
    // The value a dim has in the model that declares it, or, for a top-level dim, in the first model of the root.
    const env = model?.env ?? (d.block ? undefined : this.models[0]?.env);
    const bound = env?.get(d.name)?.value;
    if (d.sizes) {
      info.binding = d.sizes.tokens ? `the size of vocabulary ${d.sizes.name} = ${d.sizes.tokens.length}` : `the size of vocabulary ${d.sizes.name}, from the data`;
      return;
    }
    if (d.boundBy) {
      info.binding = `bound by the shape of ${d.boundBy.name}: ${shapeText(d.boundBy.type)}, from each call's argument`;
      return;
    }
    const node = d.node as DimDecl<Expr> | GenericParam<Expr>;
    if ("kind" in node && node.kind === "dim") {
      info.detail = declaration(node);
      if (node.value) {
        const written = printExpr(node.value, true);
        info.binding = bound !== undefined && written !== String(bound) ? `${d.name} = ${written} = ${bound}` : `${d.name} = ${written}`;
      } else info.binding = `free: the data sets it, batch by batch${node.multipleOf !== undefined ? ` (a multiple of ${node.multipleOf})` : ""}`;
      return;
    }
    const def = d.block as DefDecl<Expr>;
    const g = node as GenericParam<Expr>;
    info.detail = `dim ${d.name}${g.default ? ` = ${printExpr(g.default, true)}` : ""}`;
    info.binding = `a compile-time argument of ${def.kind} ${def.name}: ${def.name}<${def.generics.map((x) => x.name).join(", ")}>(...)${g.default ? `, default ${printExpr(g.default, true)}` : ""}`;
  }

  /** The param `name` of a definition as every application in the models creates it. */
  private instances(def: DefDecl<Expr>, name: string): NonNullable<SymbolInfo["instances"]> {
    const out: NonNullable<SymbolInfo["instances"]> = [];
    for (const m of this.models) {
      const walk = (frame: Frame, prefix: string, seen: Set<Frame>) => {
        for (const call of frame.calls.values()) {
          const full = prefix ? `${prefix}.${call.prefix}` : call.prefix;
          if (call.callee.def === def) {
            const p = call.callee.params.find((x) => x.name === name);
            const copies = call.modifier === "bidirectional" ? ".{fwd,bwd}" : call.repeat > 1 ? `.{0..${call.repeat - 1}}` : "";
            if (p) out.push({ model: m.name, name: `${full}${copies}.${name}`, shape: `[${p.dims.map((x) => m.env.format(x)).join(", ")}]`, count: this.count(p.count, m.env) });
          }
          if (!seen.has(call.callee)) walk(call.callee, full, new Set([...seen, call.callee]));
        }
      };
      walk(m.frame, "", new Set([m.frame]));
    }
    return out;
  }
}

function shapeText(t: ShapeType<Expr>): string {
  return `[${t.dims.map((d) => printExpr(d, true)).join(", ")}]${t.vocab ? ` of ${t.vocab}` : ""}`;
}
