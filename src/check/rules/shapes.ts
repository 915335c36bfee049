/**
 * The shape rules (SEQ02xx, SEQ03xx and name errors found while typing): every
 * model of the root file is typed by the inference engine; user definitions
 * that no model applies are checked on their own, with unknown dims.
 */
import { walkExpr } from "../../ir/ir.js";
import { Inference } from "../infer.js";
import { blocks, statementExprs, userModules, type Rule } from "./rule.js";

export const shapes: Rule = (ctx) => {
  const used = new Set<string>();
  for (const { node, module } of ctx.index.models) {
    const inference = new Inference(ctx.index, ctx.report, ctx.given);
    ctx.models.push(inference.checkModel(node, module));
  }
  for (const { node } of blocks(ctx)) {
    for (const s of node.body) {
      for (const e of statementExprs(s)) walkExpr(e, (x) => x.op === "call" && used.add(x.callee));
    }
  }
  for (const m of userModules(ctx)) {
    for (const item of m.ir.items) {
      if ((item.kind === "cell" || item.kind === "fn") && !used.has(item.name) && ctx.index.defs.get(item.name)?.node === item) {
        new Inference(ctx.index, ctx.report).checkUnusedDef(item, m);
      }
    }
  }
};
