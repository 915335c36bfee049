/**
 * SEQ0106: each statement where it belongs. Cells and fns hold params, lets and
 * one `out` (cells also states and next-state assignments); models hold dims,
 * vocabularies, inputs, targets, named values, losses, one train block and
 * feedback.
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import type { Stmt, Expr } from "../../ir/ir.js";
import { blocks, type Rule } from "./rule.js";

const ALLOWED: Record<"cell" | "fn" | "model", ReadonlySet<Stmt<Expr>["kind"]>> = {
  cell: new Set(["param", "state", "const", "assign", "out"]),
  fn: new Set(["param", "const", "assign", "out"]),
  model: new Set(["dim", "vocab", "input", "target", "const", "assign", "loss", "train", "feedback"]),
};

const WHERE: Partial<Record<Stmt<Expr>["kind"], string>> = {
  param: "params belong to cells and fns",
  state: "states belong to cells",
  out: "`out` ends a cell or fn",
  dim: "dims are declared at the top level or in a model",
  vocab: "vocabularies are declared at the top level or in a model",
  input: "inputs are declared in a model; a cell's or fn's inputs go in its signature",
  target: "targets are declared in a model",
  loss: "losses belong to models",
  train: "training settings belong to models",
  feedback: "feedback belongs to models",
};

export const statementPlacement: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    let trains = 0;
    for (const s of node.body) {
      const span = { file: module.file, ...s.loc };
      if (!ALLOWED[node.kind].has(s.kind)) {
        ctx.report(diagnostic("SEQ0106", `${s.kind === "assign" ? "this" : `\`${s.kind}\``} is not allowed in a ${node.kind}`, span, { help: WHERE[s.kind] ?? "" }));
      }
      if (s.kind === "assign" && node.kind === "model" && s.targets.some((t) => t.next)) {
        ctx.report(diagnostic("SEQ0108", "a model has no states; `name'` belongs in a cell", span));
      }
      if (s.kind === "assign" && node.kind === "fn" && s.targets.some((t) => t.next)) {
        ctx.report(diagnostic("SEQ0108", "a fn has no states; make it a cell to give states next values", span));
      }
      if (s.kind === "train" && ++trains > 1) ctx.report(diagnostic("SEQ0106", "a model has one train block", span));
    }
  }
};
