/**
 * SEQ0402: every state of a cell gets a next value (`h' = ...`). A next value
 * given to a misspelled state (`cc' = ...`, reported as not a state) counts
 * for the state it is closest to, so the typo is reported once.
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import { closest } from "../scope.js";
import { blocks, type Rule } from "./rule.js";

export const statesUpdated: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    if (node.kind !== "cell") continue;
    const states = node.body.flatMap((s) => (s.kind === "state" ? [s.name] : []));
    const primed = node.body.flatMap((s) => (s.kind === "assign" ? s.targets.filter((t) => t.next).map((t) => t.name) : []));
    const assigned = new Set(primed.map((name) => (states.includes(name) ? name : (closest(name, states) ?? name))));
    for (const s of node.body) {
      if (s.kind === "state" && !assigned.has(s.name)) {
        ctx.report(diagnostic("SEQ0402", `state ${s.name} never gets a next value`, { file: module.file, ...s.loc }, { help: `add \`${s.name}' = ...\`, or make it a param if it is constant` }));
      }
    }
  }
};
