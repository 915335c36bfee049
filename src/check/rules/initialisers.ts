/**
 * SEQ0107: a param's initialiser is zeros, ones, glorot, orthogonal,
 * uniform(scale), normal(std) or a number; a state's initial value is a number
 * or a param (a learned initial state; its shape is checked with the shapes).
 */
import { diagnostic } from "../../diagnostics/diagnostic.js";
import type { Expr } from "../../ir/ir.js";
import { didYouMean } from "../scope.js";
import { blocks, type Rule } from "./rule.js";

export const INITIALISERS = ["zeros", "ones", "glorot", "orthogonal", "uniform", "normal"] as const;
const WITH_ARG = new Set(["uniform", "normal"]);

function isNumber(e: Expr): boolean {
  return e.op === "num" || (e.op === "neg" && e.args[0]?.op === "num");
}

function paramInitProblem(e: Expr): string | undefined {
  if (isNumber(e)) return undefined;
  if (e.op === "ref") {
    if (WITH_ARG.has(e.name)) return `${e.name} needs its scale: ${e.name}(0.1)`;
    return (INITIALISERS as readonly string[]).includes(e.name) ? undefined : `unknown initialiser \`${e.name}\``;
  }
  if (e.op === "call" && WITH_ARG.has(e.callee)) {
    const args = [...e.args, ...(e.named ?? []).map((a) => a.value)];
    return args.length === 1 && isNumber(args[0]!) ? undefined : `${e.callee} takes one number`;
  }
  return "an initialiser is zeros, ones, glorot, orthogonal, uniform(scale), normal(std) or a number";
}

export const initialisers: Rule = (ctx) => {
  for (const { node, module } of blocks(ctx)) {
    if (node.kind === "model") continue;
    const params = new Set(node.body.flatMap((s) => (s.kind === "param" ? [s.name] : [])));
    for (const s of node.body) {
      if (s.kind === "param" && s.init) {
        const why = paramInitProblem(s.init);
        const name = s.init.op === "ref" ? s.init.name : s.init.op === "call" ? s.init.callee : "";
        if (why) ctx.report(diagnostic("SEQ0107", why, { file: module.file, ...s.init.loc }, didYouMean(name, INITIALISERS) ? { help: didYouMean(name, INITIALISERS)! } : {}));
      }
      if (s.kind === "state" && s.init && !isNumber(s.init) && !(s.init.op === "ref" && params.has(s.init.name))) {
        ctx.report(diagnostic("SEQ0107", "a state starts from a number or a param", { file: module.file, ...s.init.loc }));
      }
    }
  }
};
