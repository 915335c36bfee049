/**
 * Attaches `# ...` comments to the AST so the formatter keeps them: a comment on
 * the line where a node ends goes `after` it; other comments go `before` the next
 * node of the same block, or to the block's `endComments`. A comment in the middle
 * of a statement moves before that statement. A blank line between two nodes of a
 * block is kept as `gap` (one blank line).
 */
import type { IToken } from "chevrotain";
import type { AstModule, Comments, Loc } from "./ast.js";
import { lineIndex, startAtOrBefore } from "../diagnostics/render/lines.js";

interface Attachable {
  loc: Loc;
  comments?: Comments;
}

/** A list of nodes that comments attach to, and the blocks nested in some of them. */
interface Box {
  nodes: Attachable[];
  inner: Map<Attachable, Box>;
  endComments: string[];
  setEnd: (c: string[]) => void;
}

function box(nodes: Attachable[], setEnd: (c: string[]) => void): Box {
  const inner = new Map<Attachable, Box>();
  for (const n of nodes) {
    const k = n as Attachable & { kind?: string; body?: Attachable[]; entries?: Attachable[]; endComments?: string[] };
    const children = k.kind === "train" ? k.entries : k.kind === "cell" || k.kind === "fn" || k.kind === "model" ? k.body : undefined;
    if (children) inner.set(n, box(children, (c) => (k.endComments = c)));
  }
  return { nodes, inner, endComments: [], setEnd };
}


/** Mutates the module: fills `comments` of items, statements and train entries, and the `endComments` of blocks. */
export function attachComments(module: AstModule, comments: IToken[], text: string): void {
  const { starts } = lineIndex(text);
  const root = box(module.items, (c) => (module.endComments = c));
  for (const c of comments) attachOne(root, c.startOffset, c.image, starts);
  const finish = (b: Box) => {
    if (b.endComments.length > 0) b.setEnd(b.endComments);
    for (const inner of b.inner.values()) finish(inner);
  };
  finish(root);
  const commentLines = new Set(comments.map((c) => startAtOrBefore(starts, c.startOffset)));
  markGaps(root, text, starts, commentLines);
  // Top-level blocks are always set apart by a blank line.
  const isBlock = (n: Attachable) => root.inner.has(n);
  for (let i = 1; i < module.items.length; i++) {
    const [prev, cur] = [module.items[i - 1]!, module.items[i]!];
    if (isBlock(prev) || isBlock(cur)) (cur.comments ??= {}).gap = true;
  }
}

function attachOne(b: Box, at: number, image: string, starts: readonly number[]): void {
  const inside = b.nodes.find((n) => n.loc.start <= at && at < n.loc.end);
  if (inside) {
    const inner = b.inner.get(inside);
    if (inner) return attachOne(inner, at, image, starts);
    ((inside.comments ??= {}).before ??= []).push(image);
    return;
  }
  const line = startAtOrBefore(starts, at);
  const prev = b.nodes.findLast((n) => n.loc.end <= at);
  if (prev && startAtOrBefore(starts, prev.loc.end - 1) === line) {
    const cm = (prev.comments ??= {});
    cm.after = cm.after ? `${cm.after} ${image}` : image;
    return;
  }
  const next = b.nodes.find((n) => n.loc.start > at);
  if (next) ((next.comments ??= {}).before ??= []).push(image);
  else b.endComments.push(image);
}

function markGaps(b: Box, text: string, starts: readonly number[], commentLines: Set<number>): void {
  for (let i = 1; i < b.nodes.length; i++) {
    const from = startAtOrBefore(starts, b.nodes[i - 1]!.loc.end - 1) + 1;
    const to = startAtOrBefore(starts, b.nodes[i]!.loc.start);
    for (let l = from; l < to; l++) {
      if (commentLines.has(l)) continue;
      if (text.slice(starts[l], starts[l + 1] ?? text.length).trim() === "") {
        (b.nodes[i]!.comments ??= {}).gap = true;
        break;
      }
    }
  }
  for (const inner of b.inner.values()) markGaps(inner, text, starts, commentLines);
}
