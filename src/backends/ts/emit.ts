/**
 * Kernel program -> `model.ts`: a class with the parameter layout, every
 * buffer allocated once from the dims, `forward` and `backward` written out
 * statement by statement (with the spec line each comes from), and the
 * CompiledModel methods the runtime's trainer uses. Pure and deterministic:
 * the same program gives the same text.
 *
 * Nothing from the spec reaches the output unescaped: identifiers are
 * sanitised (names.ts), strings go through JSON.stringify, and comments lose
 * their line breaks.
 */
import { commentText, specLine } from "../spec-lines.js";
import type { Source } from "../../graph/graph.js";
import type { Val } from "../../kernel/api.js";
import type { KernelProgram } from "../../kernel/lower.js";
import { storedBuffers, vectorFn, writes } from "../../kernel/fuse.js";
import { BATCH, eMul, isSize, nestedStmts, ONE, sameSize, STEP, TIME, type BufferDecl, type BufId, type E, type Operand, type Scalar, type Stmt } from "../../kernel/program.js";
import { base64, loopFunction, loopModule, writable, type LoopMap, type LoopRef } from "./loops-wasm.js";
import { bufferNames, labelText, paren, sizeText } from "./names.js";
import type { ModelInfo } from "../../runtime/model-api.js";

export interface EmitOptions {
  precision: "f32" | "f64";
}

const num = (v: number): string => (Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : Object.is(v, -0) ? "0" : String(v));

class Printer {
  private readonly lines: string[] = [];
  private depth = 0;

  /** The loops written as WebAssembly functions (f32: loops-wasm.ts), in the order of their names l0, l1, ... */
  readonly loops: { params: number; body: number[] }[] = [];

  /** The products inside a scan's loop whose B is packed once before it (`packedProducts`), by their number: $pack0, ... */
  readonly packed = new Map<Stmt, number>();

  /**
   * bufs: the buffers' identifiers, by BufId; sources: the spec texts by file, for the lines comments quote;
   * f32: maps f(x) as vmath calls, elementwise loops as WebAssembly functions too; kinds: the buffers' kinds.
   */
  constructor(
    readonly bufs: readonly string[],
    private readonly sources: Map<string, string>,
    readonly f32: boolean,
    readonly kinds: readonly BufferDecl["kind"][],
  ) {}

  /** A buffer as the model's member. */
  buf(id: BufId): string {
    return `this.${this.bufs[id]!}`;
  }

  line(s = ""): void {
    this.lines.push(s === "" ? "" : "  ".repeat(this.depth) + s);
  }

  /** A comment line: the text, and the spec line it comes from (`file:line: text`; the file alone when its text is unknown). */
  note(text: string, src: Source | undefined): void {
    const where = specLine(src, this.sources);
    this.line(`// ${commentText(where === undefined ? text : `${text} (${where})`)}`);
  }

  open(s: string): void {
    this.line(s);
    this.depth++;
  }

  close(s = "}"): void {
    this.depth--;
    this.line(s);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

type MapStmt = Extract<Stmt, { s: "map" }>;

/** The view of the index buffer of a gathering operand. */
const gatherView = (g: NonNullable<Operand["gather"]>): Operand => ({ buf: g.buf, off: g.off, strides: g.strides });

/**
 * Maps over one space (one map, or a fused run of them) as one loop nest: the
 * buffers by their names, an offset per distinct view computed level by level,
 * and in the innermost body each map's assignment in order; a local (a buffer
 * only this loop names) is a variable of the body named like its buffer.
 */
function emitMaps(p: Printer, shape: E[], body: (MapStmt | Extract<Stmt, { s: "note" }>)[], locals: ReadonlySet<BufId>): void {
  const maps = body.filter((b): b is MapStmt => b.s === "map");
  const key = (o: Operand) => `${o.buf}:${sizeText(o.off)}:${o.strides.map(sizeText).join(",")}`;
  const views = new Map<string, Operand>();
  const see = (o: Operand) => {
    if (!views.has(key(o))) views.set(key(o), o);
  };
  for (const m of maps) {
    for (const o of [m.out, ...m.ins]) {
      if (locals.has(o.buf)) continue;
      // A gathering view: its own offset and its index buffer's, added at the element (gatherView).
      see({ buf: o.buf, off: o.off, strides: o.strides });
      if (o.gather) see(gatherView(o.gather));
    }
  }
  const ops = [...views.values()];
  const used = new Set<number>();
  for (const m of maps) collectIdx(m.expr, used);
  const axes = loopAxes(shape, ops, used);
  const idxVar = new Map<number, string>();
  const names = [...new Set(ops.map((o) => o.buf))].map((b) => `${p.bufs[b]!} = ${p.buf(b)}`);
  const wasm = p.f32 ? wasmCall(p, axes, ops, maps, locals) : undefined;
  if (wasm !== undefined) {
    p.line(`if (this.$loops !== undefined) ${wasm};`);
    p.open(`else {`);
  }
  p.open(`{`);
  if (names.length > 0) p.line(`const ${names.join(", ")};`);
  // Offsets at each level: $p{view}_{level}
  if (ops.length > 0) p.line(`const ${ops.map((o, i) => `$p${i}_0 = ${sizeText(o.off)}`).join(", ")};`);
  axes.forEach((a, level) => {
    const v = `$i${level}`;
    if (a.idx >= 0) idxVar.set(a.idx, v);
    p.open(`for (let ${v} = 0; ${v} < ${sizeText(a.ext)}; ${v}++) {`);
    const parts = ops.map((_, i) => {
      const s = a.strides[i]!;
      const prev = `$p${i}_${level}`;
      return `$p${i}_${level + 1} = ${isSize(s, 0) ? prev : isSize(s, 1) ? `${prev} + ${v}` : `${prev} + ${v} * ${paren(s)}`}`;
    });
    if (parts.length > 0) p.line(`const ${parts.join(", ")};`);
  });
  const index = new Map(ops.map((o, i) => [key(o), i]));
  const place = (o: Operand) => `$p${index.get(key({ buf: o.buf, off: o.off, strides: o.strides }))!}_${axes.length}`;
  const at = (o: Operand) => {
    if (locals.has(o.buf)) return p.bufs[o.buf]!;
    if (!o.gather) return `${p.bufs[o.buf]!}[${place(o)}]`;
    const id = `${p.bufs[o.gather.buf]!}[${place(gatherView(o.gather))}]`;
    return `${p.bufs[o.buf]!}[${place(o)} + ${isSize(o.gather.scale, 1) ? id : `${id} * ${paren(o.gather.scale)}`}]`;
  };
  const declared = new Set<BufId>();
  for (const st of body) {
    if (st.s === "note") {
      if (maps.length > 1) p.note(st.text, st.src);
      continue;
    }
    const expr = scalar(st.expr, (i) => at(st.ins[i]!), (axis) => idxVar.get(axis) ?? "0");
    const target = at(st.out);
    const fresh = locals.has(st.out.buf) && !declared.has(st.out.buf);
    if (fresh) declared.add(st.out.buf);
    if (st.mode === "set") p.line(`${fresh ? "let " : ""}${target} = ${expr};`);
    else if (st.mode === "add") p.line(`${target} += ${expr};`);
    else p.line(`{ const $v = ${expr}; if ($v > ${target}) ${target} = $v; }`);
  }
  for (let i = 0; i < axes.length; i++) p.close();
  p.close();
  if (wasm !== undefined) p.close();
}

/**
 * The loop as a call of a WebAssembly function (loops-wasm.ts), its function added to the printer's; undefined
 * when the loop has what that module does not write (a size in an expression, log and the like, a map into an int
 * buffer).
 */
function wasmCall(p: Printer, axes: Axis[], ops: Operand[], maps: MapStmt[], locals: ReadonlySet<BufId>): string | undefined {
  if (axes.length === 0) return undefined;
  if (maps.some((m) => p.kinds[m.out.buf] === "int")) return undefined;
  if (maps.some((m) => !writable(m.expr))) return undefined;
  const key = (o: Operand) => `${o.buf}:${sizeText(o.off)}:${o.strides.map(sizeText).join(",")}`;
  const viewOf = new Map(ops.map((o, i) => [key(o), i]));
  const localOf = new Map([...new Set(maps.flatMap((m) => [m.out, ...m.ins].filter((o) => locals.has(o.buf)).map((o) => o.buf)))].map((b, i) => [b, i]));
  const ref = (o: Operand): LoopRef => {
    if (locals.has(o.buf)) return { local: localOf.get(o.buf)! };
    const view = viewOf.get(key({ buf: o.buf, off: o.off, strides: o.strides }))!;
    return o.gather ? { view, gather: { view: viewOf.get(key(gatherView(o.gather)))!, scale: o.gather.scale } } : { view };
  };
  if (maps.some((m) => m.mode === "max" && locals.has(m.out.buf))) return undefined;
  // The index of an axis of the space is the index of its loop (loopAxes keeps such an axis a loop of its own).
  const level = (s: Scalar): Scalar => (s.k === "idx" ? { k: "idx", axis: axes.findIndex((a) => a.idx === s.axis) } : s.k === "fn" ? { ...s, args: s.args.map(level) } : s);
  const loopMaps: LoopMap[] = maps.map((m) => ({ out: ref(m.out), mode: m.mode, expr: level(m.expr), ins: m.ins.map(ref) }));
  const views = ops.map((o, i) => ({ buf: o.buf, strides: axes.map((a) => a.strides[i]!), int: p.kinds[o.buf] === "int" }));
  const fn = loopFunction({ exts: axes.map((a) => a.ext), views, maps: loopMaps, locals: localOf.size });
  p.loops.push(fn);
  const args = [
    ...fn.call.exts.map((a) => sizeText(axes[a]!.ext)),
    ...ops.map((o) => `${p.buf(o.buf)}.byteOffset${isSize(o.off, 0) ? "" : ` + ${paren(o.off)} * 4`}`),
    ...fn.call.strides.map(([v, a]) => sizeText(axes[a]!.strides[v]!)),
    ...fn.call.scales.map(sizeText),
  ];
  return `this.$loops.l${p.loops.length - 1}!(${args.join(", ")})`;
}

interface Axis {
  ext: E;
  /** The stride of each view along it. */
  strides: E[];
  /** The axis of the space whose index the expression reads, or -1. */
  idx: number;
}

/** The loops over a space for these views: without size-1 axes, neighbours contiguous for every view merged (unless an expression reads the index). */
function loopAxes(shape: E[], ops: Operand[], used: ReadonlySet<number>): Axis[] {
  let axes = shape.map((ext, i) => ({ ext, strides: ops.map((o) => o.strides[i]!), idx: used.has(i) ? i : -1 }));
  axes = axes.filter((a) => !isSize(a.ext, 1) || a.idx >= 0);
  for (let j = axes.length - 2; j >= 0; j--) {
    const a = axes[j]!;
    const b = axes[j + 1]!;
    if (a.idx >= 0 || b.idx >= 0) continue;
    if (!ops.every((_, o) => sameSize(a.strides[o]!, eMul(b.strides[o]!, b.ext)))) continue;
    axes.splice(j, 2, { ext: eMul(a.ext, b.ext), strides: b.strides, idx: -1 });
  }
  return axes;
}

/**
 * A map f(x) (fuse.ts's vectorFn) over rows whose elements are adjacent in both views, as a call of the
 * runtime's vmath (gemm.ts: f32x4 on the model's buffers); false, printing nothing, for any other map.
 */
function emitVectorMap(p: Printer, m: MapStmt): boolean {
  const f = vectorFn(m);
  if (f === undefined) return false;
  const x = m.ins[0]!;
  const axes = loopAxes(m.shape, [x, m.out], new Set());
  if (axes.length > 2 || (axes.length > 0 && !axes.at(-1)!.strides.every((s) => isSize(s, 1)))) return false;
  const [rows, cols] = axes.length === 2 ? axes : [undefined, axes[0]];
  const stride = (i: number) => (rows === undefined ? "0" : sizeText(rows.strides[i]!));
  p.line(`vmath(${JSON.stringify(f)}, ${rows ? sizeText(rows.ext) : "1"}, ${cols ? sizeText(cols.ext) : "1"}, ${p.buf(x.buf)}, ${sizeText(x.off)}, ${stride(0)}, ${p.buf(m.out.buf)}, ${sizeText(m.out.off)}, ${stride(1)});`);
  return true;
}

function collectIdx(s: Scalar, out: Set<number>): void {
  if (s.k === "idx") out.add(s.axis);
  if (s.k === "fn") s.args.forEach((a) => collectIdx(a, out));
}

const COMPARE: Record<string, string> = { gt: ">", ge: ">=", lt: "<", le: "<=", eq: "===" };

function scalar(s: Scalar, read: (i: number) => string, idx: (axis: number) => string): string {
  const r = (x: Scalar) => scalar(x, read, idx);
  switch (s.k) {
    case "in":
      return read(s.i);
    case "num":
      return s.v < 0 ? `(${num(s.v)})` : num(s.v);
    case "idx":
      return idx(s.axis);
    case "size":
      return `(${sizeText(s.e)})`;
    case "fn": {
      const [a, b, c] = s.args;
      switch (s.f) {
        case "add": return `(${r(a!)} + ${r(b!)})`;
        case "sub": return `(${r(a!)} - ${r(b!)})`;
        case "mul": return `(${r(a!)} * ${r(b!)})`;
        case "div": return `(${r(a!)} / ${r(b!)})`;
        case "neg": return `(-${r(a!)})`;
        case "max": return `Math.max(${r(a!)}, ${r(b!)})`;
        case "min": return `Math.min(${r(a!)}, ${r(b!)})`;
        case "exp": return `Math.exp(${r(a!)})`;
        case "log": return `Math.log(${r(a!)})`;
        case "log1p": return `Math.log1p(${r(a!)})`;
        case "tanh": return `Math.tanh(${r(a!)})`;
        case "sqrt": return `Math.sqrt(${r(a!)})`;
        case "abs": return `Math.abs(${r(a!)})`;
        case "sign": return `Math.sign(${r(a!)})`;
        case "sigmoid": return `(1 / (1 + Math.exp(-${r(a!)})))`;
        case "gt": case "ge": case "lt": case "le": case "eq":
          return `(${r(a!)} ${COMPARE[s.f]} ${r(b!)} ? 1 : 0)`;
        case "select": {
          const cond = a!.k === "fn" && a!.f in COMPARE ? `${r(a!.args[0]!)} ${COMPARE[a!.f]} ${r(a!.args[1]!)}` : `${r(a!)} !== 0`;
          return `(${cond} ? ${r(b!)} : ${r(c!)})`;
        }
      }
    }
  }
}

function emitStmts(p: Printer, stmts: Stmt[]): void {
  for (const st of stmts) emitStmt(p, st);
}

function emitStmt(p: Printer, st: Stmt): void {
  switch (st.s) {
    case "note":
      p.note(st.text, st.src);
      return;
    case "map":
      if (!(p.f32 && emitVectorMap(p, st))) emitMaps(p, st.shape, [st], new Set());
      return;
    case "fused":
      emitMaps(p, st.shape, st.body, new Set(st.locals));
      return;
    case "mask":
      p.line(`if (this.masks) drawMask(this.masks, ${p.buf(st.buf)}, ${sizeText(st.size)}, ${num(st.rate)});`);
      p.line(`else ${p.buf(st.buf)}.fill(1, 0, ${sizeText(st.size)});`);
      return;
    case "fill":
      p.line(`${p.buf(st.buf)}.fill(${num(st.value)}, ${sizeText(st.off)}, ${isSize(st.off, 0) ? sizeText(st.size) : `${paren(st.off)} + ${paren(st.size)}`});`);
      return;
    case "gemm": {
      const m = (x: typeof st.a, e: string, isC = false) => `${p.buf(x.buf)}, ${isSize(x.bstride, 0) || e === "" ? sizeText(x.off) : `${paren(x.off)} + ${e} * ${paren(x.bstride)}`}, ${sizeText(x.ld)}${isC ? "" : `, ${x.trans}`}`;
      const mnk = [st.m, st.n, st.k].map(sizeText).join(", ");
      const slot = p.packed.get(st);
      if (slot !== undefined) {
        p.line(`gemm(${mnk}, ${m(st.a, "")}, ${m(st.b, "")}, ${m(st.c, "", true)}, ${st.acc}, $pb${slot});`);
      } else if (isSize(st.count, 1)) {
        p.line(`gemm(${mnk}, ${m(st.a, "")}, ${m(st.b, "")}, ${m(st.c, "", true)}, ${st.acc});`);
      } else {
        p.open(`for (let $e = 0; $e < ${sizeText(st.count)}; $e++) {`);
        p.line(`gemm(${mnk}, ${m(st.a, "$e")}, ${m(st.b, "$e")}, ${m(st.c, "$e", true)}, ${st.acc});`);
        p.close();
      }
      return;
    }
    case "loop": {
      for (const g of st.body) {
        const slot = p.packed.get(g);
        if (slot === undefined || g.s !== "gemm") continue;
        p.line(`// ${commentText(`${p.bufs[g.b.buf]!}'s product at every step reads it packed once, here (gemm.ts packB)`)}`);
        p.line(`const $pb${slot} = packB(this.$pack${slot}, ${sizeText(g.m)}, ${sizeText(g.k)}, ${sizeText(g.n)}, ${p.buf(g.b.buf)}, ${sizeText(g.b.off)}, ${sizeText(g.b.ld)}, ${g.b.trans}) ? this.$pack${slot} : undefined;`);
      }
      const k = sizeText(STEP);
      p.open(st.down ? `for (let ${k} = ${paren(st.count)} - 1; ${k} >= 0; ${k}--) {` : `for (let ${k} = 0; ${k} < ${sizeText(st.count)}; ${k}++) {`);
      emitStmts(p, st.body);
      p.close();
      return;
    }
    case "time":
      p.line(`const ${sizeText(TIME)} = ${sizeText(st.value)};`);
      return;
    case "initial":
      p.open(`{`);
      p.line(`const $given = this.initial?.[${JSON.stringify(st.key)}];`);
      p.open(`if ($given) {`);
      p.line(`if ($given.length < ${sizeText(st.size)}) throw new Error(${JSON.stringify(`the initial state ${st.key} is too short`)});`);
      p.line(`${p.buf(st.buf)}.set($given.subarray(0, ${sizeText(st.size)}));`);
      p.close();
      p.open(`else {`);
      emitStmts(p, st.otherwise);
      p.close();
      p.close();
      return;
    case "unlessInitial":
      p.open(`if (!this.initial?.[${JSON.stringify(st.key)}]) {`);
      emitStmts(p, st.body);
      p.close();
      return;
    case "training":
      p.open(`if (this.trainingSeed !== undefined) {`);
      emitStmts(p, st.body);
      p.close();
      p.open(`else {`);
      emitStmts(p, st.otherwise);
      p.close();
      return;
  }
}

/** Whether a size expression changes from step to step of a loop. */
const stepwise = (e: E): boolean => e.k === "step" || e.k === "time" || ("a" in e && (stepwise(e.a) || stepwise(e.b)));

/**
 * The products in the body of a scan's loop whose B is a param that the loop reads at the same place at every
 * step and does not write (a recurrent weight; not a running statistic): the runtime packs such a B once before
 * the loop instead of at every step.
 */
export function packedProducts(stmts: readonly Stmt[], buffers: readonly BufferDecl[]): Extract<Stmt, { s: "gemm" }>[] {
  return stmts.flatMap((st) =>
    st.s === "loop"
      ? st.body.flatMap((g) =>
          g.s === "gemm" && isSize(g.count, 1) && buffers[g.b.buf]!.kind === "param" && ![g.b.off, g.b.ld, g.k, g.n].some(stepwise) && !st.body.some((w) => writes(w).has(g.b.buf)) ? [g] : [],
        )
      : [],
  );
}

/** Whether some statement of the list, nested ones included, is one `f` picks. */
function someStmt(stmts: readonly Stmt[], f: (st: Stmt) => boolean): boolean {
  return stmts.some((st) => f(st) || nestedStmts(st).some((list) => someStmt(list, f)));
}

function viewExpr(p: Printer, v: Val, batched: boolean): string {
  return `{ data: ${p.buf(v.buf)}, offset: ${sizeText(v.off)}, shape: [${[...(batched ? [BATCH] : []), ...v.ext].map(sizeText).join(", ")}] }`;
}

/** model.ts of a kernel program; `sources` holds the spec texts by file, for the lines comments quote. */
export function emitModel(program: KernelProgram, info: ModelInfo, opts: EmitOptions, sources: Map<string, string>): string {
  const p = new Printer(bufferNames(program.buffers), sources, opts.precision === "f32", program.buffers.map((b) => b.kind));
  const F = opts.precision === "f64" ? "Float64Array" : "Float32Array";
  p.line(`// Generated by seqc from ${commentText(info.spec.file)}, model ${commentText(info.name)}. Do not edit: edit the spec and compile again.`);
  p.line(`// The forward pass, then the backward pass (reverse-mode differentiation, backpropagation through time`);
  p.line(`// for scans), written out statement by statement over buffers allocated once from the dims.`);
  p.line(`import type { Batch, Buf, CompiledModel, Dims, ModelInfo, ValueView } from "./model-api.js";`);
  const packed = [...packedProducts(program.forward, program.buffers), ...packedProducts(program.backward, program.buffers)];
  packed.forEach((g, i) => p.packed.set(g, i));
  const packing = packed.length > 0 ? "packB, packedLength, " : "";
  p.line(opts.precision === "f32" ? `import { floatBuffers, gemm, loopKernels, ${packing}vmath, type Loops } from "./gemm.js";` : `import { floatBuffers, gemm${packing === "" ? "" : ", packB, packedLength"} } from "./gemm.js";`);
  const dropout = someStmt(program.forward, (st) => st.s === "mask");
  // Training differs from inference: dropout masks, batch statistics.
  const training = dropout || someStmt(program.forward, (st) => st.s === "training");
  p.line(`import { ${dropout ? "drawMask, initParam, Rng" : "initParam"} } from "./init.js";`);
  p.line();
  p.line(`export const INFO: ModelInfo = ${JSON.stringify(info, null, 2).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")};`);
  p.line();
  p.line(`/** The model's float type: ${F} (seqc compile --precision ${opts.precision}). */`);
  p.line(`const F = ${F};`);
  p.line();
  p.line(`/** A dim's unit value (its value over its known divisor) from the dims given. */`);
  p.open(`function unit(dims: Dims, name: string, multiple: number): number {`);
  p.line(`const v = dims[name];`);
  p.line("if (v === undefined || !Number.isInteger(v) || v < 0) throw new Error(`the dim ${name} needs a whole value (got ${String(v)})`);");
  p.line("if (v % multiple !== 0) throw new Error(`the dim ${name} must be a multiple of ${multiple} (got ${v})`);");
  p.line(`return v / multiple;`);
  p.close();
  p.line();
  p.line(`export function createModel(dims: Dims, maxBatch: number): CompiledModel {`);
  p.line(`  return new Model(dims, maxBatch);`);
  p.line(`}`);
  p.line();
  const free = program.dims.filter((d) => d.value === undefined);
  p.open(`class Model implements CompiledModel {`);
  p.line(`readonly info = INFO;`);
  p.line(`readonly params: ${F};`);
  p.line(`readonly grads: ${F};`);
  p.line(`/** The optimizer's slots, beside the params in their memory (optim.ts createOptimizer's memory). */`);
  p.line(`readonly optimizerMemory: ${F}[];`);
  p.line(`readonly layout: Record<string, { offset: number; size: number; shape: number[] }> = {};`);
  p.line(`private readonly maxBatch: number;`);
  p.line(`private readonly dims: Dims;`);
  p.line(`private B = 0;`);
  for (const d of free) p.line(`private ${sizeText(d.unit)} = 0;`);
  p.line(`private initial: Record<string, Buf> | undefined = undefined;`);
  if (training) {
    p.line(`/** Training mode (setTraining): the seed of the dropout masks; undefined, inference (no dropout, running statistics). */`);
    p.line(`private trainingSeed: number | undefined = undefined;`);
  }
  if (dropout) {
    p.line(`/** The generator of this forward pass's dropout masks: none, no dropout. */`);
    p.line(`private masks: Rng | undefined = undefined;`);
  }
  if (p.f32) {
    p.line(`/** The elementwise loops as WebAssembly on the float buffers' memory (LOOPS), or undefined: JavaScript. */`);
    p.line(`private readonly $loops: Loops | undefined;`);
  }
  const stored = storedBuffers(program);
  program.buffers.forEach((b, id) => {
    if (!stored.has(id)) return;
    p.line(`/** ${commentText(labelText(b.doc, p.bufs)).replace(/\*\//g, "* /")} */`);
    p.line(`private readonly ${p.bufs[id]!}: ${b.kind === "int" ? "Int32Array" : F};`);
  });
  packed.forEach((g, i) => {
    p.line(`/** ${commentText(`${p.bufs[g.b.buf]!} as the product inside a scan reads it, packed before the loop (gemm.ts packB)`)} */`);
    p.line(`private readonly $pack${i}: ${F};`);
  });
  p.line();
  p.open(`constructor(dims: Dims, maxBatch: number) {`);
  p.line(`if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error("the batch size must be a whole number >= 1");`);
  p.line(`this.maxBatch = maxBatch;`);
  p.line(`this.dims = { ...dims };`);
  p.line(`const $B = maxBatch;`);
  for (const d of free) p.line(`const ${sizeText(d.unit)} = unit(dims, ${JSON.stringify(d.name)}, ${d.multiple});`);
  const paramTotal = program.params.reduce((acc, q) => (acc === "0" ? sizeText(q.size) : `${acc} + ${paren(q.size)}`), "0");
  // The float buffers in one block (gemm.ts's floatBuffers: the products work on them in place): params, grads, then the others.
  // A buffer that shares another's memory (fuse.ts) is a view of that one's, which holds the larger of the two.
  // Int buffers too (token ids: WebAssembly loops gather with them), each an Int32Array over a float slot of its length;
  // and consts (products and loops read them in that memory), set to their values once.
  const floats = program.buffers.flatMap((b, id) => (stored.has(id) && (b.kind === "float" || b.kind === "int" || b.kind === "const") && b.shares === undefined ? [id] : []));
  const sharing = new Map(program.buffers.flatMap((b, id) => (stored.has(id) && b.shares !== undefined ? [[b.shares, id] as const] : [])));
  const floatSize = (id: BufId) => {
    const size = program.buffers[id]!.size;
    const other = sharing.get(id);
    if (other === undefined || sameSize(size, program.buffers[other]!.size)) return sizeText(size);
    return `Math.max(${sizeText(size)}, ${sizeText(program.buffers[other]!.size)})`;
  };
  const packedSizes = packed.map((g) => `packedLength(${sizeText(g.k)}, ${sizeText(g.n)})`);
  p.line(`const $f = floatBuffers(F, [${[paramTotal, paramTotal, ...floats.map(floatSize), ...packedSizes, paramTotal, paramTotal].join(", ")}]);`);
  p.line(`this.params = $f[0]!;`);
  if (p.f32) p.line(`this.$loops = loopKernels(LOOPS, this.params);`);
  p.line(`this.grads = $f[1]!;`);
  program.buffers.forEach((b, id) => {
    if (!stored.has(id)) return;
    if (b.kind === "param" || b.kind === "grad") {
      const src = b.kind === "param" ? "params" : "grads";
      p.line(`${p.buf(id)} = this.${src}.subarray(${sizeText(b.off!)}, ${isSize(b.off!, 0) ? paren(b.size) : `${paren(b.off!)} + ${paren(b.size)}`});`);
    } else if (b.kind === "int") p.line(`${p.buf(id)} = new Int32Array($f[${2 + floats.indexOf(id)}]!.buffer, $f[${2 + floats.indexOf(id)}]!.byteOffset, ${sizeText(b.size)});`);
    else if (b.kind === "const") {
      p.line(`${p.buf(id)} = $f[${2 + floats.indexOf(id)}]!;`);
      p.line(`${p.buf(id)}.set(${JSON.stringify(b.values)});`);
    } else if (b.shares === undefined) p.line(`${p.buf(id)} = $f[${2 + floats.indexOf(id)}]!;`);
    else p.line(`${p.buf(id)} = $f[${2 + floats.indexOf(b.shares)}]!; // ${commentText(`the memory of ${p.bufs[b.shares]!}: that one is the forward pass's only, this one the backward pass's`)}`);
  });
  packed.forEach((_, i) => p.line(`this.$pack${i} = $f[${2 + floats.length + i}]!;`));
  p.line(`this.optimizerMemory = [$f[${2 + floats.length + packed.length}]!, $f[${3 + floats.length + packed.length}]!];`);
  for (const q of program.params) {
    const off = program.buffers[q.buf]!.off!;
    p.line(`this.layout[${JSON.stringify(q.name)}] = { offset: ${sizeText(off)}, size: ${sizeText(q.size)}, shape: [${q.shape.map(sizeText).join(", ")}] };`);
  }
  p.close();
  p.line();
  p.open(`init(seed: number): void {`);
  for (const q of program.params) {
    p.line(`initParam(this.params, this.layout[${JSON.stringify(q.name)}]!.offset, this.layout[${JSON.stringify(q.name)}]!.shape, ${JSON.stringify(q.init)}, seed, ${JSON.stringify(q.name)});`);
  }
  p.close();
  p.line();
  p.open(`setInitialStates(states: Record<string, Buf> | undefined): void {`);
  p.line(`this.initial = states;`);
  p.close();
  p.line();
  if (training) {
    p.open(`setTraining(seed: number | undefined): void {`);
    p.line(`this.trainingSeed = seed;`);
    p.close();
    p.line();
  }
  // forward
  p.open(`forward(batch: Batch): number {`);
  p.line(`const $B = batch.size;`);
  p.line(`if (!Number.isInteger($B) || $B < 1 || $B > this.maxBatch) throw new Error(\`the batch size \${$B} is not in 1..\${this.maxBatch}\`);`);
  for (const d of free) {
    const u = sizeText(d.unit);
    p.line(`const ${u} = unit(Object.hasOwn(batch.dims, ${JSON.stringify(d.name)}) ? batch.dims : this.dims, ${JSON.stringify(d.name)}, ${d.multiple});`);
    p.line(`if (${u} > unit(this.dims, ${JSON.stringify(d.name)}, ${d.multiple})) throw new Error(\`the dim ${d.name} is \${${u} * ${d.multiple}}, more than the model was made for (\${this.dims[${JSON.stringify(d.name)}]})\`);`);
    p.line(`this.${u} = ${u};`);
  }
  p.line(`this.B = $B;`);
  for (const input of program.inputs) {
    const decl = program.buffers[input.buf]!;
    p.line(`{`);
    p.line(`  const $f = batch.fields[${JSON.stringify(input.name)}];`);
    p.line(`  if (!$f) throw new Error(${JSON.stringify(`the batch has no ${input.role} ${input.name}`)});`);
    p.line(`  const $n = ${sizeText(decl.size)};`);
    p.line(`  if ($f.length < $n) throw new Error(\`${input.role} ${input.name.replace(/[`$\\]/g, "")} has \${$f.length} values, not \${$n}\`);`);
    p.line(`  ${p.buf(input.buf)}.set($f.subarray(0, $n));`);
    p.line(`}`);
  }
  if (dropout) p.line(`this.masks = this.trainingSeed === undefined ? undefined : new Rng(this.trainingSeed);`);
  emitStmts(p, program.forward);
  p.line(`let $loss = 0;`);
  for (const l of program.losses) {
    if (l.n === null) p.line(`$loss += ${p.buf(l.buf)}[${sizeText(l.off)}]! * $B;`);
    else p.line(`for (let $i = 0; $i < $B; $i++) $loss += ${p.buf(l.buf)}[${paren(l.off)} + $i]!;`);
  }
  p.line(`return $loss / $B;`);
  p.close();
  p.line();
  p.open(`backward(): void {`);
  p.line(`const $B = this.B;`);
  p.line(`if ($B === 0) throw new Error("backward needs a forward pass first");`);
  for (const d of free) p.line(`const ${sizeText(d.unit)} = this.${sizeText(d.unit)};`);
  emitStmts(p, program.backward);
  p.close();
  p.line();
  p.open(`value(name: string): ValueView {`);
  p.line(`const $B = this.B;`);
  for (const d of free) p.line(`const ${sizeText(d.unit)} = this.${sizeText(d.unit)};`);
  p.open(`switch (name) {`);
  for (const v of program.values) {
    if (v.val.num !== undefined) continue;
    p.line(`case ${JSON.stringify(v.name)}: return ${viewExpr(p, v.val, v.val.n !== null)};`);
  }
  p.close();
  p.line("throw new Error(`the model has no value ${JSON.stringify(name)}`);");
  p.close();
  p.line();
  p.open(`lossValue(i: number): ValueView {`);
  p.line(`const $B = this.B;`);
  for (const d of free) p.line(`const ${sizeText(d.unit)} = this.${sizeText(d.unit)};`);
  p.open(`switch (i) {`);
  program.lossArgs.forEach((v, i) => p.line(`case ${i}: return ${viewExpr(p, v, v.n !== null)};`));
  p.close();
  p.line("throw new Error(`the model has no loss ${i}`);");
  p.close();
  p.line();
  p.open(`lossTarget(i: number): ValueView {`);
  p.line(`const $B = this.B;`);
  for (const d of free) p.line(`const ${sizeText(d.unit)} = this.${sizeText(d.unit)};`);
  p.open(`switch (i) {`);
  program.lossTargets.forEach((v, i) => {
    if (v.num === undefined) p.line(`case ${i}: return ${viewExpr(p, v, v.n !== null)};`);
  });
  p.close();
  p.line("throw new Error(`the target of loss ${i} is not a tensor`);");
  p.close();
  p.line();
  p.open(`finalStates(): Record<string, ValueView> {`);
  p.line(`const $B = this.B;`);
  for (const d of free) p.line(`const ${sizeText(d.unit)} = this.${sizeText(d.unit)};`);
  p.line(`void $B;`);
  p.open(`return {`);
  for (const s of program.states) p.line(`${JSON.stringify(s.key)}: { data: ${p.buf(s.last.buf)}, offset: ${sizeText(s.last.off)}, shape: [${paren(s.size)} / ${paren(s.last.n ?? ONE)}, ${s.last.ext.map(sizeText).join(", ")}] },`);
  p.close(`};`);
  p.close();
  p.close();
  if (p.f32) {
    p.line();
    p.line(`/** The WebAssembly module of the loops above (this.$loops.l0, l1, ...: src/backends/ts/loops-wasm.ts), base64. */`);
    p.line(`const LOOPS =\n  ${JSON.stringify(base64(loopModule(p.loops)))};`);
  }
  return p.text();
}
