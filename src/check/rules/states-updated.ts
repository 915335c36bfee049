/** SEQ0402: every state of a cell gets a next value (`h' = ...`). */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { blocks, type Rule } from "./rule.js";

export const statesUpdated: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    if (node.kind !== "cell") continue;
    const assigned = new Set(node.body.flatMap((s) => (s.kind === "assign" ? s.targets.filter((t) => t.next).map((t) => t.name) : [])));
    for (const s of node.body) {
      if (s.kind === "state" && !assigned.has(s.name)) {
        ctx.report(diagnostic("SEQ0402", `state ${s.name} never gets a next value`, { file: module.file, ...s.loc }, { help: `add \`${s.name}' = ...\`, or make it a param if it is constant` }));
      }
    }
  }
};
