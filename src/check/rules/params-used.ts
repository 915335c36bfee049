/**
 * SEQ0401: every param reaches the output. Liveness runs backwards from `out`:
 * a live expression makes the names it reads live; a live state makes its next
 * value live (the next step reads it); a live `h'` makes its assignment live.
 * A live expression that reads an unknown name (reported by the shapes rule)
 * may have meant any value: it makes everything live, so a typo of `c_tilde`
 * does not also report the params that only `c_tilde` reads.
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { walkExpr, type Expr } from "../../ir/ir.js";
import { closest, readsUnknownName, valueNames } from "../scope.js";
import { blocks, type Rule } from "./rule.js";

function reads(e: Expr): string[] {
  const out: string[] = [];
  walkExpr(e, (x) => {
    if (x.op === "ref") out.push(x.name);
    else if (x.op === "next") out.push(`${x.name}'`);
  });
  return out;
}

export const paramsUsed: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    // Without an `out` nothing is live; single-out reports that instead.
    if (node.kind === "model" || !node.body.some((s) => s.kind === "out")) continue;
    const defines = new Map<string, Expr>();
    const states = new Set<string>();
    for (const s of node.body) {
      if (s.kind === "state") {
        states.add(s.name);
        if (s.init) defines.set(`${s.name}#init`, s.init);
      }
    }
    // A next value given to a misspelled state (reported as not a state) counts for the closest state.
    const stateOf = (name: string) => (states.has(name) ? name : (closest(name, states) ?? name));
    for (const s of node.body) {
      if (s.kind === "assign") for (const t of s.targets) defines.set(t.next ? `${stateOf(t.name)}'` : t.name, s.value);
    }
    const values = valueNames(node);
    const live = new Set<string>();
    let anything = false;
    const read = (e: Expr) => {
      anything ||= readsUnknownName(e, node, values, ctx.index);
      return reads(e);
    };
    const work: string[] = node.body.flatMap((s) => (s.kind === "out" ? read(s.value) : []));
    while (work.length > 0 && !anything) {
      const n = work.pop()!;
      if (live.has(n)) continue;
      live.add(n);
      const value = defines.get(n);
      if (value) work.push(...read(value));
      if (states.has(n)) work.push(`${n}'`, `${n}#init`);
    }
    if (anything) continue;
    for (const s of node.body) {
      if (s.kind === "param" && !live.has(s.name)) {
        ctx.report(diagnostic("SEQ0401", `param ${s.name} never reaches the output of ${node.name}`, { file: module.file, ...s.loc }));
      }
    }
  }
};
