/**
 * Kernel program -> the same program with fewer, larger loops and less memory
 * kept per step. Nothing here knows an op or a derivative: the forward and
 * adjoint rules (forward.ts, adjoint.ts) wrote every map, and these passes only
 * change how the maps are grouped and where their values live, so each op's
 * rule stays in one place for every target.
 *
 * 1. A map's operands that its expression does not read are dropped (an
 *    adjoint rule is given the op's result and arguments whether it reads them
 *    or not).
 * 2. A fill with zeros followed by the first map that writes the region, adding
 *    into all of it, becomes that map setting it (an adjoint's first term).
 * 3. Maps and fills into a buffer that nothing reads are dropped, and a value
 *    of a scan's step body that the backward pass does not read keeps one slot
 *    instead of one per step (`keepLess`): per step, only what the adjoint
 *    rules read stays (an LSTM's activated gates and cell state).
 * 4. A map that is exp, sigmoid or tanh of one operand (`vectorMath`) moves
 *    ahead of the maps before it, up to the last statement that writes its
 *    operand or touches its result (or sets the step's time), reading through a copy (a split's part is
 *    the view of the whole it copies); it then runs alone, not fused, so that
 *    a target computes it over whole rows as vectors (an LSTM's four gate
 *    activations, right after the product and bias of the step).
 * 5. Consecutive maps over the same space run as one loop (`fuse`) when every
 *    buffer that one of them writes and another touches is accessed at the same
 *    element by both, through a view that writes each element once, or through
 *    views that share no element (blocks of one row); a buffer
 *    that only such a loop touches, and sets before it reads, is a variable of
 *    the loop's body and no longer a buffer (a cell's intermediate values).
 */
import type { KernelOptions, KernelProgram } from "./lower.js";
import { Poly } from "../check/dims.js";
import { atStep, eMul, eSub, isSize, mapNested, nestedStmts, ONE, sameSize, sizeValue, ZERO, type BufId, type E, type Fn, type Operand, type Scalar, type Stmt, sizePoly } from "./program.js";

type MapStmt = Extract<Stmt, { s: "map" }>;
type NoteStmt = Extract<Stmt, { s: "note" }>;
type FusedStmt = Extract<Stmt, { s: "fused" }>;

/** The program after the passes the options turn on (the first two always run). */
export function fuseProgram(program: KernelProgram, options: KernelOptions): KernelProgram {
  let forward = program.forward.map(pruneOperands);
  let backward = program.backward.map(pruneOperands);
  forward = zeroFillsAsSets(forward);
  backward = zeroFillsAsSets(backward);
  let buffers = program.buffers;
  if (options.vectorMath) {
    forward = vectorMapsAhead(forward);
    backward = vectorMapsAhead(backward);
  }
  if (options.keepLess) {
    ({ forward, backward } = dropUnread(program, forward, backward));
    ({ forward, buffers } = keepLess(program, forward, backward));
  }
  if (options.fuse) {
    const alone = options.vectorMath ? (m: MapStmt) => vectorFn(m) !== undefined : () => false;
    forward = fuseMaps(forward, alone);
    backward = fuseMaps(backward, alone);
  }
  const out = { ...program, buffers, forward, backward };
  if (options.fuse) markLocals(out);
  return options.share ? shareStorage(out) : out;
}

// ------------------------------------------------------------------ walking statements

/** Calls f on each statement, nested ones included (the bodies of loops, initial states and fused maps). */
function eachStmt(stmts: readonly Stmt[], f: (st: Stmt) => void): void {
  for (const st of stmts) {
    f(st);
    for (const list of nestedStmts(st)) eachStmt(list, f);
  }
}

/** The same statements with f applied to each, nested ones first. */
function mapStmts(stmts: readonly Stmt[], f: (st: Stmt) => Stmt): Stmt[] {
  return stmts.map((st) => f(mapNested(st, (ss) => mapStmts(ss, f))));
}

/** The buffer a fill, initial or mask statement names (they set it by offset and size, not through a view). */
const wholeBuf = (s: Stmt): BufId | undefined => (s.s === "fill" || s.s === "initial" || s.s === "mask" ? s.buf : undefined);

/** The buffers an operand reads: its own, and its index buffer when it gathers. */
const viewed = (o: Operand): BufId[] => (o.gather ? [o.buf, o.gather.buf] : [o.buf]);

/** The buffers a statement (nested ones included) reads or writes. */
function touches(st: Stmt): Set<BufId> {
  const out = new Set<BufId>();
  eachStmt([st], (s) => {
    if (s.s === "map") for (const o of [s.out, ...s.ins]) viewed(o).forEach((b) => out.add(b));
    if (s.s === "gemm") for (const m of [s.a, s.b, s.c]) out.add(m.buf);
    const w = wholeBuf(s);
    if (w !== undefined) out.add(w);
  });
  return out;
}

/** The buffers behind the program's views: losses, their arguments, named values, states. */
const viewedBuffers = (program: KernelProgram): Set<BufId> =>
  new Set([...program.losses, ...program.lossArgs, ...program.lossTargets, ...program.values.map((x) => x.val), ...program.states.flatMap((s) => [s.first, s.last])].flatMap((v) => (v.num === undefined ? [v.buf] : [])));

/** How many times each buffer is named: by statements (each operand, matrix, fill) and by the program's views and tables. */
function references(program: KernelProgram): Map<BufId, number> {
  const n = new Map<BufId, number>();
  const add = (b: BufId) => n.set(b, (n.get(b) ?? 0) + 1);
  const stmts = (ss: readonly Stmt[]) =>
    eachStmt(ss, (s) => {
      if (s.s === "map") [s.out, ...s.ins].forEach((o) => viewed(o).forEach(add));
      if (s.s === "gemm") [s.a, s.b, s.c].forEach((m) => add(m.buf));
      const w = wholeBuf(s);
      if (w !== undefined) add(w);
    });
  stmts(program.forward);
  stmts(program.backward);
  viewedBuffers(program).forEach(add);
  for (const p of program.params) [p.buf, p.grad].forEach(add);
  for (const i of program.inputs) add(i.buf);
  return n;
}

/** The buffers model.ts allocates: those named anywhere but as a fused loop's variables. */
export function storedBuffers(program: KernelProgram): Set<BufId> {
  const locals = new Set<BufId>();
  for (const list of [program.forward, program.backward]) eachStmt(list, (s) => s.s === "fused" && s.locals.forEach((b) => locals.add(b)));
  return new Set([...references(program).keys()].filter((b) => !locals.has(b)));
}

// ------------------------------------------------------------------ 1. operands the expression reads

function readsOf(s: Scalar, out: Set<number>): Set<number> {
  if (s.k === "in") out.add(s.i);
  if (s.k === "fn") s.args.forEach((a) => readsOf(a, out));
  return out;
}

function renumber(s: Scalar, to: Map<number, number>): Scalar {
  if (s.k === "in") return { k: "in", i: to.get(s.i)! };
  if (s.k === "fn") return { ...s, args: s.args.map((a) => renumber(a, to)) };
  return s;
}

function pruneOperands(st: Stmt): Stmt {
  return mapStmts([st], (s) => {
    if (s.s !== "map") return s;
    const used = readsOf(s.expr, new Set());
    if (used.size === s.ins.length) return s;
    const kept = s.ins.map((_, i) => i).filter((i) => used.has(i));
    return { ...s, ins: kept.map((i) => s.ins[i]!), expr: renumber(s.expr, new Map(kept.map((i, j) => [i, j]))) };
  })[0]!;
}

// ------------------------------------------------------------------ 2. zero fills as the first write

/** Whether a map's view of its out visits exactly the elements [off, off + size), each once. */
function covers(shape: E[], o: Operand, off: E, size: E): boolean {
  if (o.gather || !sameSize(o.off, off)) return false;
  let expected: E = ONE;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (isSize(shape[i]!, 1)) continue;
    if (!sameSize(o.strides[i]!, expected)) return false;
    expected = eMul(expected, shape[i]!);
  }
  return sameSize(expected, size);
}

function zeroFillsAsSets(stmts: Stmt[]): Stmt[] {
  const out = stmts.map((st) => mapNested(st, zeroFillsAsSets));
  for (let i = 0; i < out.length; i++) {
    const f = out[i]!;
    if (f.s !== "fill" || f.value !== 0) continue;
    const j = out.findIndex((st, k) => k > i && touches(st).has(f.buf));
    const m = out[j];
    if (!m || m.s !== "map" || m.mode !== "add" || m.out.buf !== f.buf || m.ins.some((o) => o.buf === f.buf) || !covers(m.shape, m.out, f.off, f.size)) continue;
    out[j] = { ...m, mode: "set" };
    out.splice(i, 1);
    i--;
  }
  return out;
}

// ------------------------------------------------------------------ 3. one slot for what backward does not read

/** The buffers the program's views name (values, losses, states): what the runtime reads. */
/** Without the maps and fills into float buffers that nothing reads (a one_hot(x) whose only product became a gather). */
function dropUnread(program: KernelProgram, forward: Stmt[], backward: Stmt[]): { forward: Stmt[]; backward: Stmt[] } {
  const read = viewedBuffers(program);
  eachStmt([...forward, ...backward], (s) => {
    if (s.s === "map") s.ins.forEach((o) => viewed(o).forEach((b) => read.add(b)));
    if (s.s === "map" && s.out.gather) read.add(s.out.gather.buf);
    if (s.s === "map" && s.mode !== "set") read.add(s.out.buf);
    if (s.s === "gemm") [s.a.buf, s.b.buf, ...(s.acc ? [s.c.buf] : [])].forEach((b) => read.add(b));
  });
  const dead = (b: BufId) => program.buffers[b]!.kind === "float" && !read.has(b);
  const keep = (stmts: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of stmts) {
      if ((s.s === "map" && dead(s.out.buf)) || (s.s === "fill" && dead(s.buf))) {
        while (out.at(-1)?.s === "note") out.pop(); // its op's note
        continue;
      }
      out.push(mapNested(s, keep));
    }
    return out;
  };
  return { forward: keep(forward), backward: keep(backward) };
}

function keepLess(program: KernelProgram, forward: Stmt[], backward: Stmt[]): { forward: Stmt[]; buffers: KernelProgram["buffers"] } {
  const read = new Set<BufId>();
  for (const st of backward) touches(st).forEach((b) => read.add(b));
  const views = viewedBuffers(program);
  const one = new Set(program.buffers.flatMap((b, id) => (b.slot !== undefined && !read.has(id) && !views.has(id) ? [id] : [])));
  if (one.size === 0) return { forward, buffers: program.buffers };
  const at0 = <T extends { buf: BufId; off: E }>(x: T): T => (one.has(x.buf) ? { ...x, off: atStep(x.off, ZERO) } : x);
  const rewritten = mapStmts(forward, (s) => {
    if (s.s === "map") return { ...s, out: at0(s.out), ins: s.ins.map(at0) };
    if (s.s === "gemm") return { ...s, a: at0(s.a), b: at0(s.b), c: at0(s.c) };
    if (s.s === "fill") return at0(s);
    return s;
  });
  return { forward: rewritten, buffers: program.buffers.map((b, id) => (one.has(id) ? { ...b, size: b.slot!, doc: [...b.doc, " (the current step's; the backward pass does not read it)"] } : b)) };
}

// ------------------------------------------------------------------ 4. vector maps ahead

/** The functions a target may compute over rows as vectors. */
const VECTOR_FNS: ReadonlySet<Fn> = new Set<Fn>(["exp", "sigmoid", "tanh"]);

/** f when the map sets its out to f(its one operand) for a vector function f, no view gathering. */
export function vectorFn(m: MapStmt): Fn | undefined {
  const e = m.expr;
  if (m.mode !== "set" || m.ins.length !== 1 || m.out.gather || m.ins[0]!.gather) return undefined;
  return e.k === "fn" && VECTOR_FNS.has(e.f) && e.args.length === 1 && e.args[0]!.k === "in" ? e.f : undefined;
}

/** The buffers a statement (nested ones included) writes. */
export function writes(st: Stmt): Set<BufId> {
  const out = new Set<BufId>();
  eachStmt([st], (s) => {
    if (s.s === "map") out.add(s.out.buf);
    if (s.s === "gemm") out.add(s.c.buf);
    const w = wholeBuf(s);
    if (w !== undefined) out.add(w);
  });
  return out;
}

/** A map that copies one view into another over the same space (a split's part). */
const isCopy = (m: Stmt | undefined, shape: E[]): m is MapStmt =>
  m?.s === "map" && m.mode === "set" && m.expr.k === "in" && m.ins.length === 1 && !m.ins[0]!.gather && m.shape.length === shape.length && m.shape.every((e, i) => sameSize(e, shape[i]!));

function vectorMapsAhead(stmts: Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  /** Where each vector map moved went (in out), to keep them in their order. */
  const moved = new Set<Stmt>();
  let notes: NoteStmt[] = [];
  for (const st0 of stmts) {
    if (st0.s === "note") {
      notes.push(st0);
      continue;
    }
    const st = mapNested(st0, vectorMapsAhead);
    if (st.s !== "map" || vectorFn(st) === undefined) {
      out.push(...notes, st);
      notes = [];
      continue;
    }
    let m = st;
    // Through a copy: read the view it copies, when nothing wrote that since.
    const writer = out.findLastIndex((s) => writes(s).has(m.ins[0]!.buf));
    const copy = out[writer];
    if (isCopy(copy, m.shape) && sameOperand(copy.out, m.ins[0]!) && !out.slice(writer + 1).some((s) => writes(s).has(copy.ins[0]!.buf))) m = { ...m, ins: [copy.ins[0]!] };
    const src = m.ins[0]!.buf;
    // Not ahead of the step's time either (views of a scan's input are offset by it).
    let at = out.findLastIndex((s) => s.s === "time" || writes(s).has(src) || touches(s).has(m.out.buf)) + 1;
    while (at < out.length && (moved.has(out[at]!) || (out[at]!.s === "note" && moved.has(out[at + 1]!)))) at++;
    out.splice(at, 0, ...notes, m);
    moved.add(m);
    notes = [];
  }
  out.push(...notes);
  return out;
}

// ------------------------------------------------------------------ 5. maps over one space as one loop

/** Whether two views are the same elements (a gathering view is like no other: its elements depend on data). */
const sameOperand = (a: Operand, b: Operand): boolean => !a.gather && !b.gather && a.buf === b.buf && sameSize(a.off, b.off) && a.strides.every((s, i) => sameSize(s, b.strides[i]!));

/** Whether a view visits each element of its buffer at most once over the space (no broadcast axis, no gather). */
const oneToOne = (shape: E[], o: Operand): boolean => !o.gather && shape.every((ext, i) => isSize(ext, 1) || !isSize(o.strides[i]!, 0));

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Whether two views with the same strides and offsets a constant d apart share no element over the space (an
 * LSTM's four gate blocks of one row: the adjoints of split write them in one loop). With a stride-1 axis of n
 * elements and S the gcd of the other constant strides, two elements coincide only if d + t = 0 (mod S) for
 * some |t| < n: never when d mod S is in [n, S - n] (S infinite: when |d| >= n).
 */
export function disjoint(shape: E[], a: Operand, b: Operand): boolean {
  if (a.gather || b.gather || !a.strides.every((st, i) => sameSize(st, b.strides[i]!))) return false;
  const d = sizeValue(eSub(a.off, b.off));
  if (d === undefined || d === 0) return false;
  let n = 1;
  let S = 0;
  for (let i = 0; i < shape.length; i++) {
    const stride = sizeValue(a.strides[i]!);
    if (stride === 0 || isSize(shape[i]!, 1)) continue;
    if (stride === undefined) return false;
    if (stride === 1 && n === 1) {
      const ext = sizeValue(shape[i]!);
      if (ext === undefined) return false;
      n = ext;
    } else S = gcd(S, Math.abs(stride));
  }
  if (S === 0) return Math.abs(d) >= n;
  const r = ((d % S) + S) % S;
  return n <= r && r <= S - n;
}

interface Access {
  op: Operand;
  write: boolean;
}

/** A map's accesses: its out written, its ins read, and the index buffers its gathering views read. */
const accesses = (m: MapStmt): Access[] => [
  { op: m.out, write: true },
  ...m.ins.map((op) => ({ op, write: false })),
  ...[m.out, ...m.ins].flatMap((o) => (o.gather ? [{ op: { buf: o.gather.buf, off: o.gather.off, strides: o.gather.strides }, write: false }] : [])),
];

/** Whether m can join maps (their accesses given) in one loop: whatever one writes, the other touches at the same element, written once each. */
function fits(shape: E[], group: Access[], m: MapStmt): boolean {
  if (m.shape.length !== shape.length || !m.shape.every((e, i) => sameSize(e, shape[i]!))) return false;
  for (const a of accesses(m)) {
    for (const g of group) {
      if (g.op.buf !== a.op.buf || (!a.write && !g.write)) continue;
      if (!sameOperand(a.op, g.op)) {
        if (disjoint(shape, a.op, g.op)) continue;
        return false;
      }
      if ((a.write && !oneToOne(shape, a.op)) || (g.write && !oneToOne(shape, g.op))) return false;
    }
  }
  return true;
}

/** `alone`: maps that join no loop. */
function fuseMaps(stmts: Stmt[], alone: (m: MapStmt) => boolean): Stmt[] {
  const out: Stmt[] = [];
  let group: MapStmt[] = [];
  let body: FusedStmt["body"] = [];
  let seen: Access[] = [];
  let notes: NoteStmt[] = [];
  const close = () => {
    if (group.length === 1) out.push(...body);
    else if (group.length > 1) out.push({ s: "fused", shape: group[0]!.shape, body, locals: [] });
    group = [];
    body = [];
    seen = [];
  };
  for (const st of stmts) {
    if (st.s === "note") {
      notes.push(st);
      continue;
    }
    if (st.s === "map" && group.length > 0 && !alone(st) && !alone(group[0]!) && fits(group[0]!.shape, seen, st)) {
      body.push(...notes, st);
    } else {
      close();
      if (st.s === "map") body.push(...notes, st);
      else out.push(...notes);
    }
    notes = [];
    if (st.s === "map") {
      group.push(st);
      seen.push(...accesses(st));
      continue;
    }
    out.push(mapNested(st, (ss) => fuseMaps(ss, alone)));
  }
  close();
  out.push(...notes);
  return out;
}

/** A fused loop's variables: buffers named only by it, at one element per iteration, set before they are read. */
function markLocals(program: KernelProgram): void {
  const refs = references(program);
  for (const list of [program.forward, program.backward]) {
    eachStmt(list, (st) => {
      if (st.s !== "fused") return;
      const maps = st.body.filter((b): b is MapStmt => b.s === "map");
      const mine = new Map<BufId, number>();
      for (const m of maps) for (const a of accesses(m)) mine.set(a.op.buf, (mine.get(a.op.buf) ?? 0) + 1);
      for (const [buf, n] of mine) {
        if (refs.get(buf) !== n || program.buffers[buf]!.kind !== "float") continue;
        const first = maps.find((m) => accesses(m).some((a) => a.op.buf === buf))!;
        if (first.out.buf !== buf || first.mode !== "set" || first.ins.some((o) => o.buf === buf)) continue;
        if (maps.some((m) => m.out.buf === buf && m.mode === "max")) continue;
        if (!maps.every((m) => accesses(m).every((a) => a.op.buf !== buf || sameOperand(a.op, first.out)))) continue;
        if (!oneToOne(st.shape, first.out)) continue;
        st.locals.push(buf);
      }
    });
  }
}

// ------------------------------------------------------------------ 6. storage shared between the passes

/** A size's value with every variable at 64: the order in which buffers pair up (any pairing is safe: the memory holds the larger). */
function sizeEstimate(e: E): number {
  const p = sizePoly(e);
  return p.substitute(new Map([...p.atoms()].map((a) => [a, Poly.const(64)]))).constValue() ?? 0;
}

function shareStorage(program: KernelProgram): KernelProgram {
  const used = (stmts: readonly Stmt[]) => {
    const out = new Set<BufId>();
    for (const st of stmts) touches(st).forEach((b) => out.add(b));
    return out;
  };
  const fwd = used(program.forward);
  const bwd = used(program.backward);
  const fixed = new Set([...viewedBuffers(program), ...program.inputs.map((i) => i.buf)]);
  const stored = storedBuffers(program);
  const only = (mine: Set<BufId>, other: Set<BufId>) =>
    [...mine]
      .filter((b) => !other.has(b) && !fixed.has(b) && stored.has(b) && program.buffers[b]!.kind === "float")
      .sort((a, b) => sizeEstimate(program.buffers[b]!.size) - sizeEstimate(program.buffers[a]!.size) || a - b);
  const forwardOnly = only(fwd, bwd);
  const backwardOnly = only(bwd, fwd);
  const n = Math.min(forwardOnly.length, backwardOnly.length);
  if (n === 0) return program;
  const buffers = program.buffers.slice();
  for (let i = 0; i < n; i++) buffers[backwardOnly[i]!] = { ...buffers[backwardOnly[i]!]!, shares: forwardOnly[i]! };
  return { ...program, buffers };
}
