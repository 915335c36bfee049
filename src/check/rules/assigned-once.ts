/** SEQ0404: a name (or a state's next value) is assigned once; a local does not reuse an input's, param's or state's name. */
import { diagnostic, label } from "../../diagnostics/diagnostic.js";
import type { Loc } from "../../ir/ir.js";
import { blocks, type Rule } from "./rule.js";

export const assignedOnce: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    const declared = new Map<string, Loc>();
    if (node.kind !== "model") for (const i of node.inputs) declared.set(i.name, i.loc);
    for (const s of node.body) {
      if (s.kind === "param" || s.kind === "state" || s.kind === "const" || s.kind === "input" || s.kind === "target") declared.set(s.name, s.loc);
    }
    const seen = new Map<string, Loc>();
    for (const s of node.body) {
      if (s.kind !== "assign") continue;
      for (const t of s.targets) {
        const key = t.next ? `${t.name}'` : t.name;
        const first = seen.get(key) ?? (t.next ? undefined : declared.get(t.name));
        if (first) {
          ctx.report(diagnostic("SEQ0404", `\`${key}\` is already defined`, { file: module.file, ...t.loc }, {
            labels: [label({ file: module.file, ...first }, "first defined here")],
            help: "values are immutable: give the new value another name",
          }));
        } else seen.set(key, t.loc);
      }
    }
  }
};
