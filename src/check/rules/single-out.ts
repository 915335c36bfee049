/** SEQ0403: a cell or fn ends with exactly one `out`. */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { blocks, type Rule } from "./rule.js";

export const singleOut: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    if (node.kind === "model") continue;
    const outs = node.body.filter((s) => s.kind === "out");
    if (outs.length === 0) {
      ctx.report(diagnostic("SEQ0403", `${node.kind} ${node.name} has no \`out\``, { file: module.file, ...node.nameLoc }));
    }
    for (const extra of outs.slice(1)) {
      ctx.report(diagnostic("SEQ0403", `${node.kind} ${node.name} has more than one \`out\``, { file: module.file, ...extra.loc }));
    }
    const last = node.body[node.body.length - 1];
    if (outs.length === 1 && last !== outs[0]) {
      ctx.report(diagnostic("SEQ0403", "`out` must be the last statement", { file: module.file, ...outs[0]!.loc }));
    }
  }
};
