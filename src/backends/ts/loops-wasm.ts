/**
 * An f32 model's elementwise loops as WebAssembly: each map, or fused run of
 * maps, whose expression this module can write becomes one function of a
 * module that model.ts embeds (base64) and instantiates on the memory of its
 * float buffers (gemm.ts's floatBuffers, loopKernels). The function walks the
 * same loop nest as the JavaScript it replaces: extents and the strides that
 * are not constants are its parameters, the views' byte addresses too, and
 * model.ts passes them from the same size expressions. Arithmetic is in f64
 * with f32 loads and stores, as JavaScript computes over Float32Arrays, so the
 * results are the JavaScript loop's, bit for bit (`Math.max` and f64.max agree,
 * NaN and signed zeros included; a NaN is a NaN, its sign and payload the
 * engine's: V8's JavaScript may swap an addition's operands and so which NaN
 * it propagates). exp is a function of the module that
 * computes what V8's Math.exp does, step for step (fdlibm's e_exp.c as V8's
 * src/base/ieee754.cc has it): the same f64, so bit for bit there too, in
 * Node and Chrome (the test compares the f64s); an engine whose Math.exp is
 * another libm's may differ from its own JavaScript loop in the last bit of
 * an f64, which rounding to f32 almost always hides. A sum of select(c, a, 0)
 * adds only where c holds (`addWhere`: the same bits, without waiting on a
 * store at every element).
 *
 * Views may gather (an int32 view's value, scaled, added to the address:
 * one_hot(x) @ W as W's columns, its gradient scattered into them), and an
 * int32 view's value is an operand too (cross-entropy's targets, compared
 * with the loop's index, which the expression may read as well). Loops it
 * cannot write stay JavaScript (the caller prints both, the JavaScript for
 * where WebAssembly is missing): a size in the expression, and functions
 * WebAssembly has no instruction for but exp (log, tanh, ...: `vmath` takes
 * the common ones over rows, and a row's log is one per row, not per element).
 *
 * Where every view the innermost loop writes is contiguous along it (stride
 * 1) and every view it reads is contiguous or fixed (stride 0: a broadcast, a
 * gather's index), that loop takes two elements at a time in 128-bit SIMD
 * (f64x2: two f32 loaded and promoted, the same operations, demoted and
 * stored), then the last one alone. Each f64x2 operation used is its scalar
 * f64 operation in both lanes (add, sub, mul, div, sqrt, neg, abs; min and max
 * are the NaN-propagating, -0 < +0 ones, not pmin/pmax; comparisons give
 * masks that bitselect or turn into 1 or 0), so the bits stay the JavaScript
 * loop's (a NaN's aside, as above: V8's f64x2.max gives a positive NaN where
 * its f64.max gives a negative one). Scalar stay: reductions along that axis
 * (an output of stride 0: its sum's order is the loop's), max= (its store is
 * conditional), and loops where a written buffer is reached through more than
 * one reference (a neighbour could be read before the pair's write, or
 * after). The module needs SIMD: the runtime instantiates it only where its
 * own SIMD module validated (gemm.ts loopKernels), and model.ts runs the
 * JavaScript loops otherwise.
 *
 * Pure: bytes from statements, no I/O; the encoding is the WebAssembly 1.0
 * binary format with 128-bit SIMD, only the few sections and instructions used
 * here.
 */
import type { BufId, E, Scalar } from "../../kernel/program.js";
import { sizeValue } from "../../kernel/program.js";

/** A view of a loop as this module takes it: its buffer's element strides per axis (outermost first). */
export interface LoopView {
  buf: BufId;
  strides: E[];
  /** An int32 buffer's (its elements are read as integers). */
  int?: boolean;
}

/**
 * An operand: a variable of the body, or a view's element, plus (gather) `scale` times the int32 that
 * another view (of an int buffer) holds there.
 */
export type LoopRef = { local: number } | { view: number; gather?: { view: number; scale: E } };

/** One statement of a loop's body: out (=, +=, max=) expr; a local's out is a variable. */
export interface LoopMap {
  out: LoopRef;
  mode: "set" | "add" | "max";
  /** Its `idx` axes are the nest's levels (exts), not the axes of a space. */
  expr: Scalar;
  /** The operands of expr (Scalar `in` i). */
  ins: LoopRef[];
}

export interface LoopNest {
  exts: E[];
  views: LoopView[];
  maps: LoopMap[];
  locals: number;
}

/** What a call passes, in order: each extent that is not a constant, each view's address, each stride that is not a constant (view-major), each gather scale that is not a constant (in the order of the maps' operands). */
export interface LoopParams {
  exts: number[];
  strides: [view: number, axis: number][];
  scales: E[];
}

const BINARY: Record<string, number> = { add: 0xa0, sub: 0xa1, mul: 0xa2, div: 0xa3, min: 0xa4, max: 0xa5 };
const UNARY: Record<string, number> = { neg: 0x9a, abs: 0x99, sqrt: 0x9f };
const COMPARE: Record<string, number> = { eq: 0x61, lt: 0x63, gt: 0x64, le: 0x65, ge: 0x66 };
/** The f64x2 forms of the above (after the SIMD prefix), for the two-at-a-time loop. */
const BINARY_X2: Record<string, number> = { add: 0xf0, sub: 0xf1, mul: 0xf2, div: 0xf3, min: 0xf4, max: 0xf5 };
const UNARY_X2: Record<string, number> = { neg: 0xed, abs: 0xec, sqrt: 0xef };
const COMPARE_X2: Record<string, number> = { eq: 0x47, lt: 0x49, gt: 0x4a, le: 0x4b, ge: 0x4c };

/** The functions of the module that a loop's expression calls, by name: their function indices (the loops' come after). */
const HELPERS = { exp: 0 } as const;

/** Whether an expression is made of what this module writes. */
export function writable(s: Scalar): boolean {
  if (s.k === "in" || s.k === "num" || s.k === "idx") return true;
  if (s.k !== "fn") return false;
  if (s.f === "select") {
    const [c] = s.args;
    const cond = c!.k === "fn" && c!.f in COMPARE ? c!.args : [c!];
    return [...cond, s.args[1]!, s.args[2]!].every(writable);
  }
  return (s.f in BINARY || s.f in UNARY || s.f in COMPARE || s.f in HELPERS) && s.args.every(writable);
}

/** Whether an expression has f64x2 instructions for all it does (else its loop stays scalar). */
function pairwise(s: Scalar): boolean {
  if (s.k === "in" || s.k === "num") return true;
  if (s.k !== "fn") return false;
  return (s.f === "select" || s.f in BINARY_X2 || s.f in UNARY_X2 || s.f in COMPARE_X2) && s.args.every(pairwise);
}

/**
 * Whether the innermost loop can take two elements at a time and give the same bits: every view written is
 * contiguous along it and reached through one reference only; every view read contiguous or fixed; gathers'
 * indices fixed; no max=; expressions pairwise (not the index, not exp); no int32 value read.
 */
export function pairable(nest: LoopNest): boolean {
  const L = nest.exts.length;
  if (L === 0) return false;
  const inner = (v: number) => sizeValue(nest.views[v]!.strides[L - 1]!);
  const refs = nest.maps.flatMap((m) => [m.out, ...m.ins]).filter((r) => "view" in r);
  const written = new Map<BufId, string>();
  for (const m of nest.maps) {
    if (m.mode === "max" || !pairwise(m.expr)) return false;
    if (!("view" in m.out)) continue;
    const key = JSON.stringify(m.out);
    if (inner(m.out.view) !== 1 || (written.get(nest.views[m.out.view]!.buf) ?? key) !== key) return false;
    written.set(nest.views[m.out.view]!.buf, key);
  }
  return refs.every((r) => {
    const key = written.get(nest.views[r.view]!.buf);
    if (key !== undefined && key !== JSON.stringify(r)) return false;
    const s = inner(r.view);
    return (s === 0 || s === 1) && (!r.gather || inner(r.gather.view) === 0) && !nest.views[r.view]!.int;
  });
}

// ------------------------------------------------------------------ encoding

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function f64(v: number, out: number[]): void {
  const bytes = new Uint8Array(new Float64Array([v]).buffer);
  out.push(...bytes);
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

function vec(items: number[][], out: number[]): void {
  uleb(items.length, out);
  for (const it of items) out.push(...it);
}

function name(s: string): number[] {
  const out: number[] = [];
  uleb(s.length, out);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

// ------------------------------------------------------------------ one loop nest

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;
/** The prefix of the SIMD instructions, and those used here besides X2's arithmetic. */
const SIMD = 0xfd;
const X2 = { const: 0x0c, splat: 0x14, ne: 0x48, and: 0x4e, bitselect: 0x52, store64lane: 0x5b, load64zero: 0x5d, demote: 0x5e, promote: 0x5f };
const OP = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, brIf: 0x0d, select: 0x1b,
  get: 0x20, set: 0x21, tee: 0x22, f32load: 0x2a, f32store: 0x38,
  i32const: 0x41, f64const: 0x44, i32eqz: 0x45, i32add: 0x6a, i32sub: 0x6b,
  f64ne: 0x62, promote: 0xbb, demote: 0xb6, fromI32: 0xb8, fromS32: 0xb7, i32ltU: 0x49, i32gtU: 0x4b, call: 0x10, else: 0x05, return: 0x0f,
};

/** The function of a loop nest: its parameter count, its body (locals and code), and what a call passes. */
export function loopFunction(nest: LoopNest): { params: number; body: number[]; call: LoopParams } {
  const L = nest.exts.length;
  const V = nest.views.length;
  const call: LoopParams = { exts: [], strides: [], scales: [] };
  // Parameters: the non-constant extents, the views' addresses, the non-constant strides.
  let next = 0;
  const extAt = nest.exts.map((e, a) => (sizeValue(e) === undefined ? (call.exts.push(a), next++) : -1));
  const baseAt = nest.views.map(() => next++);
  const strideAt = nest.views.map((v, i) => v.strides.map((s, a) => (sizeValue(s) === undefined ? (call.strides.push([i, a]), next++) : -1)));
  const scaleAt = new Map<LoopRef, number>();
  for (const m of nest.maps) {
    for (const r of [m.out, ...m.ins]) {
      if ("view" in r && r.gather && sizeValue(r.gather.scale) === undefined) {
        call.scales.push(r.gather.scale);
        scaleAt.set(r, next++);
      }
    }
  }
  const params = next;
  // The elements the body reads, each loaded once an iteration into a variable after the body's own (V8 does not
  // merge loads of one address across the stores between them); a store to a buffer forgets what was loaded from it.
  const reads = new Map(nest.maps.flatMap((m) => m.ins.flatMap((r) => ("view" in r ? [[JSON.stringify(r), nest.views[r.view]!.buf] as const] : []))));
  const readSlot = new Map([...reads.keys()].map((key, i) => [key, nest.locals + i]));
  const loaded = new Set<string>();
  const variables = nest.locals + reads.size;
  // Locals: a pointer per view and level below the first, a counter per level, a scratch address (i32); the body's f64 variables and loaded elements, a scratch f64; paired, those variables as f64x2.
  const ptr = (v: number, level: number) => (level === 0 ? baseAt[v]! : params + (level - 1) * V + v);
  const counter = (level: number) => params + L * V + level;
  const address = params + L * V + L;
  const variable = (i: number) => address + 1 + i;
  const scratch = variable(variables);
  const paired = pairable(nest);
  const code: number[] = [];
  const get = (i: number) => (code.push(OP.get), uleb(i, code));
  const set = (i: number) => (code.push(OP.set), uleb(i, code));
  const i32 = (v: number) => (code.push(OP.i32const), sleb(v | 0, code));
  /** Elements per iteration of the body being written: 2 in the innermost loop's f64x2 part, else 1. */
  let lanes: 1 | 2 = 1;
  /** An instruction in its scalar form, or its f64x2 one when two elements are under way. */
  const op = (one: number, two: number) => (lanes === 1 ? code.push(one) : (code.push(SIMD), uleb(two, code)));
  const constant = (v: number) => {
    code.push(...(lanes === 1 ? [OP.f64const] : [SIMD, X2.const]));
    for (let k = 0; k < lanes; k++) f64(v, code);
  };
  const local = (i: number) => (lanes === 1 ? variable(i) : scratch + 1 + i);
  /** The f32 (two) at the address on the stack, as f64; storing the f64 (two) under the address as f32. */
  const load = () => code.push(...(lanes === 1 ? [OP.f32load, 2, 0, OP.promote] : [SIMD, X2.load64zero, 2, 0, SIMD, X2.promote]));
  const store = () => code.push(...(lanes === 1 ? [OP.demote, OP.f32store, 2, 0] : [SIMD, X2.demote, SIMD, X2.store64lane, 2, 0, 0]));
  /** A stride in bytes on the stack. */
  const stride = (v: number, a: number) => {
    const c = sizeValue(nest.views[v]!.strides[a]!);
    if (c !== undefined) i32(c * 4);
    else {
      get(strideAt[v]![a]!);
      i32(2);
      code.push(0x74); // i32.shl: elements to bytes
    }
  };
  /** The byte address of a view's element (gathered: plus scale times the index), on the stack. */
  const at = (o: Extract<LoopRef, { view: number }>) => {
    get(ptr(o.view, L));
    if (!o.gather) return;
    get(ptr(o.gather.view, L));
    code.push(0x28, 2, 0); // i32.load: the index
    const c = sizeValue(o.gather.scale);
    if (c !== undefined) i32(c * 4);
    else {
      get(scaleAt.get(o)!);
      i32(2);
      code.push(0x74);
    }
    code.push(0x6c, OP.i32add); // i32.mul, then add to the view's address
  };
  const operand = (o: LoopRef) => {
    if ("local" in o) return get(local(o.local));
    const key = JSON.stringify(o);
    const slot = local(readSlot.get(key)!);
    if (loaded.has(key)) return get(slot);
    at(o);
    // An int32 view's value (scalar loops only: pairable), as an f64.
    if (nest.views[o.view]!.int) code.push(0x28, 2, 0, OP.fromS32);
    // A view fixed along the paired loop: one element, in both lanes.
    else if (lanes === 2 && sizeValue(nest.views[o.view]!.strides[L - 1]!) === 0) code.push(OP.f32load, 2, 0, OP.promote, SIMD, X2.splat);
    else load();
    code.push(OP.tee);
    uleb(slot, code);
    loaded.add(key);
  };
  const forget = (buf: BufId) => {
    for (const [key, b] of reads) if (b === buf) loaded.delete(key);
  };
  /** Level l's extent on the stack: a constant, or the parameter that holds it. */
  const extent = (l: number) => {
    const ext = sizeValue(nest.exts[l]!);
    if (ext !== undefined) i32(ext);
    else get(extAt[l]!);
  };
  /** The index at a level, as an f64: its extent less its counter (which counts down to 1). */
  const index = (l: number) => {
    extent(l);
    get(counter(l));
    code.push(OP.i32sub, OP.fromS32);
  };
  const expr = (s: Scalar, ins: LoopMap["ins"]): void => {
    if (s.k === "in") return operand(ins[s.i]!);
    if (s.k === "num") return constant(s.v);
    if (s.k === "idx") return index(s.axis);
    if (s.k !== "fn") throw new Error(`loops-wasm: cannot write ${s.k}`);
    const [a, b, c] = s.args;
    if (s.f === "select") {
      // b where the condition holds, else c (both are pure: computing both is what JavaScript's ?: gives)
      expr(b!, ins);
      expr(c!, ins);
      condition(a!, ins);
      op(OP.select, X2.bitselect);
      return;
    }
    if (s.f in COMPARE) {
      condition(s, ins);
      // 1 or 0: a mask's all-ones lanes and'ed with 1.0 are 1.0, its zero lanes +0
      if (lanes === 1) code.push(OP.fromI32);
      else {
        constant(1);
        code.push(SIMD, X2.and);
      }
      return;
    }
    expr(a!, ins);
    // exp: scalar loops only (pairable)
    if (s.f in HELPERS) return void code.push(OP.call, HELPERS[s.f as keyof typeof HELPERS]);
    if (s.f in UNARY) return void op(UNARY[s.f]!, UNARY_X2[s.f]!);
    expr(b!, ins);
    op(BINARY[s.f]!, BINARY_X2[s.f]!);
  };
  /** An i32 condition (paired: a mask): a comparison, or a value that is not 0. */
  const condition = (s: Scalar, ins: LoopMap["ins"]) => {
    if (s.k === "fn" && s.f in COMPARE) {
      expr(s.args[0]!, ins);
      expr(s.args[1]!, ins);
      op(COMPARE[s.f]!, COMPARE_X2[s.f]!);
      return;
    }
    expr(s, ins);
    constant(0);
    op(OP.f64ne, X2.ne);
  };
  /** The element (two) at the scratch address, as f64. */
  const here = () => (get(address), load());
  /**
   * out += (c ? a : 0), as `if (c) out += a; else if (out == 0) out = +0` (adding +0 changes -0 only, into +0): a sum
   * of mostly zero terms (cross-entropy's over the classes, the target's term) then waits on its previous store only
   * where c holds, not at every element. The same results as the sum of every term.
   */
  const addWhere = (c: Scalar, a: Scalar, ins: LoopMap["ins"]) => {
    condition(c, ins);
    code.push(OP.if, 0x40);
    get(address);
    here();
    // What a loads only where c holds is not loaded after the if.
    const before = new Set(loaded);
    expr(a, ins);
    for (const key of loaded) if (!before.has(key)) loaded.delete(key);
    code.push(BINARY["add"]!, OP.demote, OP.f32store, 2, 0, OP.else);
    here();
    code.push(OP.f64const);
    f64(0, code);
    code.push(COMPARE["eq"]!, OP.if, 0x40);
    get(address);
    code.push(0x43, 0, 0, 0, 0 /* f32.const +0 */, OP.f32store, 2, 0, OP.end, OP.end);
  };
  const body = () => {
    loaded.clear();
    for (const m of nest.maps) {
      if ("local" in m.out) {
        const x = local(m.out.local);
        if (m.mode === "add") get(x);
        expr(m.expr, m.ins);
        if (m.mode === "add") op(BINARY["add"]!, BINARY_X2["add"]!);
        if (m.mode === "max") throw new Error("loops-wasm: a variable is never max-ed into");
        set(x);
        continue;
      }
      at(m.out);
      set(address);
      const e = m.expr;
      if (lanes === 1 && m.mode === "add" && e.k === "fn" && e.f === "select" && e.args[2]!.k === "num" && Object.is(e.args[2]!.v, 0)) {
        addWhere(e.args[0]!, e.args[1]!, m.ins);
        forget(nest.views[m.out.view]!.buf);
        continue;
      }
      if (m.mode === "max") {
        // if (v > out) out = v
        expr(m.expr, m.ins);
        set(scratch);
        get(scratch);
        here();
        code.push(COMPARE["gt"]!, OP.if, 0x40);
        get(address);
        get(scratch);
        code.push(OP.demote, OP.f32store, 2, 0, OP.end);
        forget(nest.views[m.out.view]!.buf);
        continue;
      }
      get(address);
      if (m.mode === "add") here();
      expr(m.expr, m.ins);
      if (m.mode === "add") op(BINARY["add"]!, BINARY_X2["add"]!);
      store();
      forget(nest.views[m.out.view]!.buf);
    }
  };
  /** Each iteration of level l starts its views' pointers where level l's are. */
  const descend = (l: number) => {
    for (let v = 0; v < V; v++) {
      get(ptr(v, l));
      set(ptr(v, l + 1));
    }
  };
  const level = (l: number) => {
    if (l === L) return body();
    extent(l);
    set(counter(l));
    if (l === L - 1 && paired) return pairs(l);
    code.push(OP.block, 0x40);
    get(counter(l));
    code.push(OP.i32eqz, OP.brIf, 0);
    code.push(OP.loop, 0x40);
    descend(l);
    level(l + 1);
    for (let v = 0; v < V; v++) {
      get(ptr(v, l));
      stride(v, l);
      code.push(OP.i32add);
      set(ptr(v, l));
    }
    get(counter(l));
    i32(1);
    code.push(OP.i32sub, OP.tee);
    uleb(counter(l), code);
    code.push(OP.brIf, 0, OP.end, OP.end);
  };
  /** The innermost loop two elements at a time while two are left (contiguous views 8 bytes on, fixed ones staying), then the last one alone. */
  const pairs = (l: number) => {
    code.push(OP.block, 0x40);
    get(counter(l));
    i32(2);
    code.push(OP.i32ltU, OP.brIf, 0);
    code.push(OP.loop, 0x40);
    descend(l);
    lanes = 2;
    body();
    lanes = 1;
    for (let v = 0; v < V; v++) {
      if (sizeValue(nest.views[v]!.strides[l]!) !== 1) continue;
      get(ptr(v, l));
      i32(8);
      code.push(OP.i32add);
      set(ptr(v, l));
    }
    get(counter(l));
    i32(2);
    code.push(OP.i32sub, OP.tee);
    uleb(counter(l), code);
    i32(1);
    code.push(OP.i32gtU, OP.brIf, 0, OP.end, OP.end);
    get(counter(l));
    code.push(OP.if, 0x40);
    descend(l);
    body();
    code.push(OP.end);
  };
  level(0);
  code.push(OP.end);
  const locals: number[] = [];
  const groups: number[][] = [];
  const i32s = L * V + L + 1;
  if (i32s > 0) {
    const g: number[] = [];
    uleb(i32s, g);
    g.push(I32);
    groups.push(g);
  }
  const g: number[] = [];
  uleb(variables + 1, g);
  g.push(F64);
  groups.push(g);
  if (paired && variables > 0) {
    const p: number[] = [];
    uleb(variables, p);
    p.push(V128);
    groups.push(p);
  }
  vec(groups, locals);
  return { params, body: [...locals, ...code], call };
}

// ------------------------------------------------------------------ helpers

/**
 * exp(x), f64 -> f64, as V8's Math.exp computes it: src/base/ieee754.cc's exp (fdlibm's e_exp.c, plus exp(1) = E),
 * operation for operation, so that the f64 is the same (each step's comment says what it computes). Reduce x = k ln2 + r, |r| <=
 * ln2 / 2, with ln2 in two parts (hi - lo is r); exp(r) from a polynomial in r^2; scale by 2^k through the exponent.
 */
function expBody(): number[] {
  const X = 0, HX = 1, XSB = 2, K = 3, HI = 4, LO = 5, T = 6, C = 7, Y = 8;
  const LN2HI = 6.93147180369123816490e-01, LN2LO = 1.90821492927058770002e-10;
  const P = [1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05, -1.65339022054652515390e-06, 4.13813679705723846039e-08];
  const c: number[] = [];
  const op = (...bytes: number[]) => void c.push(...bytes);
  const get = (i: number) => op(OP.get, i);
  const set = (i: number) => op(OP.set, i);
  const i32 = (v: number) => (op(OP.i32const), sleb(v | 0, c));
  const num = (v: number) => (op(OP.f64const), f64(v, c));
  const [F64_ADD, F64_SUB, F64_MUL, F64_DIV] = [BINARY["add"]!, BINARY["sub"]!, BINARY["mul"]!, BINARY["div"]!];
  const [F64_EQ, F64_LT, F64_GT] = [COMPARE["eq"]!, COMPARE["lt"]!, COMPARE["gt"]!];
  const I32_EQ = 0x46, I32_LT_U = 0x49, I32_GT_U = 0x4b, I32_GE_S = 0x4e, I32_GE_U = 0x4f, I32_AND = 0x71, I32_SHL = 0x74, I32_SHR_U = 0x76;
  const { else: ELSE, return: RETURN } = OP;
  const VOID = 0x40;
  /** 2^(k + d) as an f64, k the i32 at local i: the C's from_words(0x3FF00000 + ((k + d) << 20), 0). */
  const twoTo = (i: number, d: number) => {
    i32(0x3ff00000);
    get(i);
    if (d !== 0) (i32(d), op(OP.i32add));
    i32(20);
    op(I32_SHL, OP.i32add, 0xad /* i64.extend_i32_u */, 0x42, 32 /* i64.const 32 */, 0x86 /* i64.shl */, 0xbf /* f64.reinterpret_i64 */);
  };
  // The high 32 bits of x: its sign apart, and |x|'s bits.
  get(X);
  op(0xbd /* i64.reinterpret_f64 */, 0x42, 32, 0x88 /* i64.shr_u */, 0xa7 /* i32.wrap_i64 */, OP.tee, HX);
  i32(31);
  op(I32_SHR_U);
  set(XSB);
  get(HX);
  i32(0x7fffffff);
  op(I32_AND);
  set(HX);
  // |x| at least about 709.78 (where e^x overflows or underflows):
  get(HX);
  i32(0x40862e42);
  op(I32_GE_U, OP.if, VOID);
  //   Infinity or NaN: NaN stays (x + x), e^Infinity = Infinity, e^-Infinity = 0.
  get(HX);
  i32(0x7ff00000);
  op(I32_GE_U, OP.if, VOID);
  get(X);
  get(X);
  op(OP.f64ne, OP.if, VOID);
  get(X);
  get(X);
  op(F64_ADD, RETURN, OP.end);
  num(0);
  get(X);
  get(XSB);
  op(OP.select, RETURN, OP.end);
  //   past the thresholds: Infinity above, 0 below.
  get(X);
  num(7.09782712893383973096e+2);
  op(F64_GT, OP.if, VOID);
  num(Infinity);
  op(RETURN, OP.end);
  get(X);
  num(-7.45133219101941108420e+2);
  op(F64_LT, OP.if, VOID);
  num(0);
  op(RETURN, OP.end);
  op(OP.end);
  // |x| above ln2 / 2: reduce.
  get(HX);
  i32(0x3fd62e42);
  op(I32_GT_U, OP.if, VOID);
  //   |x| below 1.5 ln2: k = +-1 (x = 1 exactly: E), hi = x - k ln2_hi, lo = k ln2_lo.
  get(HX);
  i32(0x3ff0a2b2);
  op(I32_LT_U, OP.if, VOID);
  get(X);
  num(1);
  op(F64_EQ, OP.if, VOID);
  num(Math.E);
  op(RETURN, OP.end);
  get(X);
  num(-LN2HI);
  num(LN2HI);
  get(XSB);
  op(OP.select, F64_SUB);
  set(HI);
  num(-LN2LO);
  num(LN2LO);
  get(XSB);
  op(OP.select);
  set(LO);
  i32(1);
  get(XSB);
  op(OP.i32sub);
  get(XSB);
  op(OP.i32sub);
  set(K);
  //   otherwise: k = x / ln2 rounded half away from zero (the sign's half added, then truncated); hi, lo likewise.
  op(ELSE);
  num(1.44269504088896338700e+0);
  get(X);
  op(F64_MUL);
  num(-0.5);
  num(0.5);
  get(XSB);
  op(OP.select, F64_ADD, 0xaa /* i32.trunc_f64_s: |x| < 746 here */, OP.tee, K, OP.fromS32);
  set(T);
  get(X);
  get(T);
  num(LN2HI);
  op(F64_MUL, F64_SUB);
  set(HI);
  get(T);
  num(LN2LO);
  op(F64_MUL);
  set(LO);
  op(OP.end);
  //   r = hi - lo.
  get(HI);
  get(LO);
  op(F64_SUB);
  set(X);
  // Else (no reduction, k = 0): |x| below 2^-28 gives 1 + x at once.
  op(ELSE);
  get(HX);
  i32(0x3e300000);
  op(I32_LT_U, OP.if, VOID);
  num(1);
  get(X);
  op(F64_ADD, RETURN, OP.end);
  op(OP.end);
  // c = r - r^2 (P1 + r^2 (P2 + r^2 (P3 + r^2 (P4 + r^2 P5)))): the polynomial in r^2, by Horner.
  get(X);
  get(X);
  op(F64_MUL);
  set(T);
  get(X);
  for (const p of P) {
    get(T);
    num(p);
  }
  op(F64_MUL);
  for (let i = 0; i < P.length - 1; i++) op(F64_ADD, F64_MUL);
  op(F64_SUB);
  set(C);
  // k = 0: 1 - ((r c) / (c - 2) - r).
  get(K);
  op(OP.i32eqz, OP.if, VOID);
  num(1);
  get(X);
  get(C);
  op(F64_MUL);
  get(C);
  num(2);
  op(F64_SUB, F64_DIV);
  get(X);
  op(F64_SUB, F64_SUB, RETURN, OP.end);
  // else y = 1 - ((lo - (r c) / (2 - c)) - hi),
  num(1);
  get(LO);
  get(X);
  get(C);
  op(F64_MUL);
  num(2);
  get(C);
  op(F64_SUB, F64_DIV, F64_SUB);
  get(HI);
  op(F64_SUB, F64_SUB);
  set(Y);
  // times 2^k through the exponent field: 2^k at most 2^1023 (k = 1024 as 2 * 2^1023), and below 2^-1021
  // as 2^(k + 1000) * 2^-1000 (subnormal results).
  get(K);
  i32(-1021);
  op(I32_GE_S, OP.if, F64);
  get(K);
  i32(1024);
  op(I32_EQ, OP.if, F64);
  get(Y);
  num(2);
  op(F64_MUL);
  num(8.988465674311579539e307);
  op(F64_MUL, ELSE);
  get(Y);
  twoTo(K, 0);
  op(F64_MUL, OP.end, ELSE);
  get(Y);
  twoTo(K, 1000);
  op(F64_MUL);
  num(9.33263618503218878990e-302);
  op(F64_MUL, OP.end, OP.end);
  // Locals: hx, xsb, k (i32); hi, lo, t, c, y (f64).
  return [2, 3, I32, 5, F64, ...c];
}

/** The helpers' bodies, by function index (HELPERS), and their type: f64 -> f64. */
const HELPER_BODIES = [expBody()];
const HELPER_TYPE = [0x60, 1, F64, 1, F64];

/** The module of several loop functions, exported as l0, l1, ...; it imports the memory as "m"."memory". */
export function loopModule(fns: { params: number; body: number[] }[]): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const arities = [...new Set(fns.map((f) => f.params))];
  // Type 0 is the helpers'; the loops' follow, one per arity.
  const types: number[][] = [HELPER_TYPE, ...arities.map((n) => {
    const t = [0x60];
    uleb(n, t);
    for (let i = 0; i < n; i++) t.push(I32);
    t.push(0);
    return t;
  })];
  const typeSec: number[] = [];
  vec(types, typeSec);
  section(1, typeSec, out);
  const importSec: number[] = [];
  vec([[...name("m"), ...name("memory"), 0x02, 0x00, 0x00]], importSec);
  section(2, importSec, out);
  const funcSec: number[] = [];
  vec(
    [
      ...HELPER_BODIES.map(() => [0]),
      ...fns.map((f) => {
        const b: number[] = [];
        uleb(1 + arities.indexOf(f.params), b);
        return b;
      }),
    ],
    funcSec,
  );
  section(3, funcSec, out);
  const exportSec: number[] = [];
  vec(
    fns.map((_, i) => {
      const b = [...name(`l${i}`), 0x00];
      uleb(HELPER_BODIES.length + i, b);
      return b;
    }),
    exportSec,
  );
  section(7, exportSec, out);
  const codeSec: number[] = [];
  vec(
    [...HELPER_BODIES, ...fns.map((f) => f.body)].map((body) => {
      const b: number[] = [];
      uleb(body.length, b);
      b.push(...body);
      return b;
    }),
    codeSec,
  );
  section(10, codeSec, out);
  return Uint8Array.from(out);
}

/** Bytes as base64 (btoa: Node and browsers alike). */
export function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
