/** SEQ0405: a model says what it minimises. */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { blocks, type Rule } from "./rule.js";

export const modelHasLoss: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    if (node.kind === "model" && !node.body.some((s) => s.kind === "loss")) {
      ctx.report(diagnostic("SEQ0405", `model ${node.name} has no loss`, { file: module.file, ...node.nameLoc }));
    }
  }
};
