/**
 * SEQ0406: every target feeds a loss (directly or through named values). A
 * loss that reads an unknown name (a typo, reported by the shapes rule) may
 * have meant any target: then none is reported.
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { walkExpr, type Expr } from "../../ir/ir.js";
import { readsUnknownName, valueNames } from "../scope.js";
import { blocks, type Rule } from "./rule.js";

export const targetsUsed: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    // Without any loss, model-has-loss reports the model instead.
    if (node.kind !== "model" || !node.body.some((s) => s.kind === "loss")) continue;
    const values = new Map<string, Expr>();
    for (const s of node.body) if (s.kind === "assign") for (const t of s.targets) values.set(t.name, s.value);
    const names = valueNames(node);
    const reached = new Set<string>();
    let anything = false;
    const work: Expr[] = node.body.flatMap((s) => (s.kind === "loss" ? [s.value] : []));
    while (work.length > 0 && !anything) {
      const e = work.pop()!;
      anything ||= readsUnknownName(e, node, names, ctx.index);
      walkExpr(e, (x) => {
        if (x.op !== "ref" || reached.has(x.name)) return;
        reached.add(x.name);
        const v = values.get(x.name);
        if (v) work.push(v);
      });
    }
    if (anything) continue;
    for (const s of node.body) {
      if (s.kind === "target" && !reached.has(s.name)) {
        ctx.report(diagnostic("SEQ0406", `target ${s.name} is not used by any loss`, { file: module.file, ...s.loc }));
      }
    }
  }
};
