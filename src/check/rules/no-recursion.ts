/** SEQ0110: cells and fns do not call themselves, directly or through others. */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { walkExpr, type DefDecl, type Expr, type Loc } from "../../ir/ir.js";
import { blocks, type Rule } from "./rule.js";

function callsOf(def: DefDecl<Expr>): { callee: string; loc: Loc }[] {
  const out: { callee: string; loc: Loc }[] = [];
  for (const s of def.body) {
    const exprs = s.kind === "assign" || s.kind === "out" ? [s.value] : [];
    for (const e of exprs) walkExpr(e, (x) => x.op === "call" && out.push({ callee: x.callee, loc: x.calleeLoc }));
  }
  return out;
}

export const noRecursion: Rule = (ctx) => {
  const defs = ctx.index.defs;
  for (const { node, module } of blocks(ctx)) {
    if (node.kind === "model" || defs.get(node.name)?.node !== node) continue;
    // Depth-first search from each call of this definition; a path back to it is a cycle.
    for (const call of callsOf(node)) {
      const path = [node.name, call.callee];
      const seen = new Set<string>();
      const stack: string[][] = [path];
      let cycle: string[] | undefined;
      while (stack.length > 0 && !cycle) {
        const p = stack.pop()!;
        const last = p[p.length - 1]!;
        if (last === node.name) {
          cycle = p;
          break;
        }
        if (seen.has(last)) continue;
        seen.add(last);
        const d = defs.get(last);
        if (d) for (const c of callsOf(d.node)) stack.push([...p, c.callee]);
      }
      if (cycle) {
        ctx.report(diagnostic("SEQ0110", `\`${node.name}\` calls itself: ${cycle.join(" -> ")}`, { file: module.file, ...call.loc }));
      }
    }
  }
};
