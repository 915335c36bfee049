/**
 * SEQ0103: a name is defined once in its scope. Top level: cells, fns, models,
 * dims and vocabularies of the user's modules (and no definition takes the name
 * of a builtin op). Inside a block: generics, inputs, params, states, dims,
 * vocabularies, inputs and targets. Every copy is named.
 */
import { diagnostic, label, type Span } from "../../diagnostics/diagnostic.js";
import { OPS } from "../../ir/ops.js";
import { blocks, userModules, type Rule, type RuleContext } from "./rule.js";

function reportDuplicates(ctx: RuleContext, entries: { name: string; span: Span; what: string }[]): void {
  const byName = new Map<string, { span: Span; what: string }[]>();
  for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    const [first, ...rest] = list;
    for (const dup of rest) {
      ctx.report(diagnostic("SEQ0103", `\`${name}\` is defined more than once`, { ...dup.span, message: `${dup.what} ${name}` }, {
        labels: [label(first!.span, `first defined here (${first!.what})`)],
      }));
    }
  }
}

export const uniqueNames: Rule = (ctx) => {
  const top: { name: string; span: Span; what: string }[] = [];
  for (const m of userModules(ctx)) {
    for (const item of m.ir.items) {
      if (item.kind === "import") continue;
      const span = { file: m.file, ...("nameLoc" in item ? item.nameLoc : item.loc) };
      if ((item.kind === "cell" || item.kind === "fn") && Object.hasOwn(OPS, item.name)) {
        ctx.report(diagnostic("SEQ0103", `\`${item.name}\` is a builtin op; a ${item.kind} cannot take its name`, span));
      }
      top.push({ name: item.name, span, what: item.kind });
      if (item.kind === "vocab") top.push({ name: item.size, span, what: `dim of vocab ${item.name}` });
    }
  }
  reportDuplicates(ctx, top);
  for (const { node, module } of blocks(ctx)) {
    const names: { name: string; span: Span; what: string }[] = [];
    const at = (loc: { start: number; end: number }) => ({ file: module.file, ...loc });
    if (node.kind !== "model") {
      for (const g of node.generics) names.push({ name: g.name, span: at(g.loc), what: "compile-time argument" });
      for (const i of node.inputs) names.push({ name: i.name, span: at(i.loc), what: "input" });
    }
    for (const s of node.body) {
      if (s.kind === "param" || s.kind === "state" || s.kind === "const" || s.kind === "input" || s.kind === "target" || s.kind === "dim") {
        names.push({ name: s.name, span: at(s.loc), what: s.kind });
      } else if (s.kind === "vocab") {
        names.push({ name: s.name, span: at(s.loc), what: "vocab" }, { name: s.size, span: at(s.loc), what: `dim of vocab ${s.name}` });
      }
    }
    reportDuplicates(ctx, names);
  }
};
