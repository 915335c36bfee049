/**
 * The syntax tree of a .seq file. Items and statements are generic over the
 * expression type `E`: the AST uses syntactic expressions (AstExpr), the IR
 * (src/ir/ir.ts) the same containers with lowered expressions. Every node has
 * a `loc` of plain offsets into the file text.
 */

/** Offsets into the file's text: `start` inclusive, `end` exclusive. */
export interface Loc {
  start: number;
  end: number;
}

/** Comments kept for the formatter: whole lines before a node, and one after it on its last line. */
export interface Comments {
  before?: string[];
  after?: string;
  /** A blank line separates this node from the one before it. */
  gap?: boolean;
}

interface Node {
  loc: Loc;
  comments?: Comments;
}

/** `[T, 4*H] of vocab` */
export interface ShapeType<E> {
  dims: E[];
  vocab?: string;
  loc: Loc;
}

/** `name = value` in generic args, `name: value` in call args, train settings and `with {}`. */
export interface Arg<E> {
  name?: string;
  value: E;
  loc: Loc;
}

export interface ImportItem extends Node {
  kind: "import";
  path: string;
}

/** `dim H = 128`, `dim T`, `dim T multiple of 4` */
export interface DimDecl<E> extends Node {
  kind: "dim";
  name: string;
  value?: E;
  multipleOf?: number;
}

/** `vocab abc[V] = [A, B, C]`, or `vocab chars[V]` (tokens come from the data) */
export interface VocabDecl extends Node {
  kind: "vocab";
  name: string;
  size: string;
  tokens?: string[];
}

export interface GenericParam<E> {
  name: string;
  default?: E;
  loc: Loc;
}

export interface SigParam<E> {
  name: string;
  type: ShapeType<E>;
  /** A read-only context (e.g. encoder memory): passed whole to every step, never scanned. */
  ctx: boolean;
  loc: Loc;
}

/** `cell NAME<G>(inputs) -> [out] { ... }` (one time step, has states) or `fn` (stateless). */
export interface DefDecl<E> extends Node {
  kind: "cell" | "fn";
  name: string;
  nameLoc: Loc;
  generics: GenericParam<E>[];
  inputs: SigParam<E>[];
  output?: ShapeType<E>;
  body: Stmt<E>[];
  /** Comments after the last statement of the body. */
  endComments?: string[];
}

export interface ModelDecl<E> extends Node {
  kind: "model";
  name: string;
  nameLoc: Loc;
  body: Stmt<E>[];
  endComments?: string[];
}

export type Item<E> = ImportItem | DimDecl<E> | VocabDecl | DefDecl<E> | ModelDecl<E>;

export interface IoDecl<E> extends Node {
  kind: "input" | "target";
  name: string;
  type: ShapeType<E>;
}

export interface ParamDecl<E> extends Node {
  kind: "param";
  name: string;
  type: ShapeType<E>;
  init?: E;
}

export interface StateDecl<E> extends Node {
  kind: "state";
  name: string;
  type: ShapeType<E>;
  init?: E;
}

/** Nested lists of numbers: `[[1, 0], [0, 1]]`, row-major like the shape's axes. */
export type TensorLiteral = number | TensorLiteral[];

/**
 * Where a tensor literal is, mirroring it: a list's span with its entries' (`items`), a number's span. The
 * parser keeps a number's text (`text`), for the message about one out of range; the IR holds spans only.
 */
export interface LiteralLoc extends Loc {
  items?: LiteralLoc[];
  text?: string;
}

/** `const table: [6, 16] = [[1, 0, ...], ...]`: a fixed, non-trainable tensor written in the spec. */
export interface ConstDecl<E> extends Node {
  kind: "const";
  name: string;
  type: ShapeType<E>;
  value: TensorLiteral;
  /** The literal's span and its rows' and numbers' (diagnostics point at the entry they are about). */
  valueLoc: LiteralLoc;
}

export interface AssignTarget {
  name: string;
  /** `h'`: the state's next value. */
  next: boolean;
  loc: Loc;
}

/** `let i, f = split<2>(z)`, `h = ...`, `c' = ...` (the keyword `let` is optional and not kept). */
export interface AssignStmt<E> extends Node {
  kind: "assign";
  targets: AssignTarget[];
  value: E;
}

export interface OutStmt<E> extends Node {
  kind: "out";
  value: E;
}

export interface LossStmt<E> extends Node {
  kind: "loss";
  value: E;
}

export interface TrainEntry<E> extends Node {
  key: string;
  value: E;
}

export interface TrainBlock<E> extends Node {
  kind: "train";
  entries: TrainEntry<E>[];
  endComments?: string[];
}

/** `feedback x from logits until "<eos>"`: at generation time x at t+1 is drawn from logits at t. */
export interface FeedbackStmt extends Node {
  kind: "feedback";
  input: string;
  source: string;
  until?: string;
}

export type Stmt<E> =
  | DimDecl<E>
  | VocabDecl
  | IoDecl<E>
  | ParamDecl<E>
  | StateDecl<E>
  | ConstDecl<E>
  | AssignStmt<E>
  | OutStmt<E>
  | LossStmt<E>
  | TrainBlock<E>
  | FeedbackStmt;

export interface ModuleOf<E> {
  items: Item<E>[];
  endComments?: string[];
}

/** Syntactic expressions, as written. */
export type AstExpr =
  | { kind: "num"; value: number; text: string; loc: Loc }
  | { kind: "str"; value: string; loc: Loc }
  | { kind: "name"; name: string; loc: Loc }
  | { kind: "prime"; operand: AstExpr; loc: Loc }
  | { kind: "member"; object: AstExpr; name: string; loc: Loc }
  | { kind: "neg"; operand: AstExpr; loc: Loc }
  | { kind: "binary"; op: "+" | "-" | "*" | "/" | "@"; left: AstExpr; right: AstExpr; loc: Loc }
  | AstApply;

export interface AstApply {
  kind: "apply";
  callee: string;
  calleeLoc: Loc;
  modifier?: { kind: "reverse" | "bidirectional" } | { kind: "repeat"; count: Arg<AstExpr>[] };
  generic?: Arg<AstExpr>[];
  args?: Arg<AstExpr>[];
  with?: Arg<AstExpr>[];
  loc: Loc;
}

export type AstModule = ModuleOf<AstExpr>;
