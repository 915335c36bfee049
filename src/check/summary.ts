/**
 * `seqc summary`: a Keras-style table of a checked model. Each named value with
 * its shape and the parameters its expression creates, every parameter, and
 * the total, symbolic where dims are free and numeric where they are bound.
 * A param masked by a const (`W * table`) counts as the entries it trains:
 * its row shows both, the value's and the total's counts the trained ones. A
 * running statistic of batch_normalize (batch_norm's mean and var) is saved
 * with the weights but not trained: it counts 0.
 */
import { Poly } from "./dims.js";
import { trainedTotal, type ModelInfo, type ParamInfo, type ValueInfo } from "./infer.js";
import { formatTy } from "./types.js";

/** A count as text: `4*H*X + 4*H*H + 4*H`, with `= 2,048` appended when every dim is bound. */
export function formatCount(info: ModelInfo, p: Poly): string {
  const symbolic = info.env.format(p);
  const n = info.env.exactValue(p);
  if (n === undefined) return symbolic;
  const num = n.toLocaleString("en-US");
  return symbolic === String(n) ? num : `${symbolic} = ${num}`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("   ").trimEnd());
}

/** The summary of one model as text. */
export function renderSummary(info: ModelInfo): string {
  const lines: string[] = [`model ${info.name}   (${info.file})`, ""];
  const valueRows = [["value", "kind", "shape", "params"]];
  for (const v of info.values) {
    const count = trainedTotal(v.params);
    valueRows.push([v.name, v.kind, formatTy(v.ty, info.env), v.params.length === 0 ? "0" : formatCount(info, count)]);
  }
  const valueLines = table(valueRows);
  const rule = "-".repeat(Math.max(...valueLines.map((l) => l.length)));
  lines.push(valueLines[0]!, rule, ...valueLines.slice(1), rule);
  lines.push(`total params: ${formatCount(info, info.total)}`);
  if (info.params.length > 0) {
    lines.push("", "parameters");
    const count = (p: ParamInfo) => formatCount(info, p.count) + (p.running ? ", not trained (a running statistic)" : p.trainable !== undefined ? `, ${p.trainable.toLocaleString("en-US")} trained (masked by a const)` : "");
    lines.push(...table(info.params.map((p) => [`  ${p.name}`, `[${p.dims.map((d) => info.env.format(d)).join(", ")}]`, count(p)])));
  }
  const dims = renderDims(info);
  if (dims) lines.push("", dims);
  return lines.join("\n") + "\n";
}

function renderDims(info: ModelInfo): string | undefined {
  const names = new Set<string>();
  for (const v of info.values) if (v.ty.kind === "tensor") for (const d of v.ty.dims) for (const a of d.atoms()) names.add(a);
  for (const p of info.params) for (const d of p.dims) for (const a of d.atoms()) names.add(a);
  const parts = [...names].filter((n) => !n.startsWith("?")).sort().map((n) => {
    const a = info.env.get(n)!;
    if (a.value !== undefined) return `${n} = ${a.value}`;
    return a.multiple > 1 ? `${n} free (multiple of ${a.multiple})` : `${n} free`;
  });
  return parts.length > 0 ? `dims: ${parts.join(", ")}` : undefined;
}

/** A parameter count: symbolic (`4*H*X + 4*H`), and its value when every dim is bound (null otherwise). */
export interface Count {
  symbolic: string;
  /** The value as a JSON number (rounded above 2^53: then `exact` has every digit). */
  value: number | null;
  /** The exact value in decimal digits, when it is above 2^53 (Number.MAX_SAFE_INTEGER). */
  exact?: string;
}

/**
 * One model's summary as data (`seqc summary --format json`, and the models of
 * the API's `check`): each named value with its shape as text, every parameter
 * and the total.
 */
export interface ModelSummary {
  model: string;
  file: string;
  values: {
    name: string;
    kind: ValueInfo["kind"];
    /** `[T, 4*H]`, `[T] of abc` for tokens, `([H], [H])` for a tuple. */
    shape: string;
    /** int32 for token ids (a vocabulary's), float32 otherwise. */
    dtype: "float32" | "int32";
    /** The vocabulary of token values. */
    vocab?: string;
    /** The parameters this value's expression creates. */
    params: Count;
  }[];
  /** `trainable`: the entries a const mask lets train, when fewer than `count`; 0 for a running statistic (`running`). */
  parameters: { name: string; shape: string[]; count: Count; trainable?: number; running?: true }[];
  total: Count;
}

/** The summary of one model as JSON-ready data. */
export function summaryData(info: ModelInfo): ModelSummary {
  const count = (p: Poly): Count => {
    const exact = info.env.exactValue(p);
    const c: Count = { symbolic: info.env.format(p), value: exact === undefined ? null : Number(exact) };
    if (exact !== undefined && (exact > BigInt(Number.MAX_SAFE_INTEGER) || exact < -BigInt(Number.MAX_SAFE_INTEGER))) c.exact = exact.toString();
    return c;
  };
  return {
    model: info.name,
    file: info.file,
    values: info.values.map((v) => ({
      name: v.name,
      kind: v.kind,
      shape: formatTy(v.ty, info.env),
      dtype: v.ty.kind === "tensor" && v.ty.vocab !== undefined ? "int32" : "float32",
      ...(v.ty.kind === "tensor" && v.ty.vocab !== undefined ? { vocab: v.ty.vocab } : {}),
      params: count(trainedTotal(v.params)),
    })),
    parameters: info.params.map((p) => ({ name: p.name, shape: p.dims.map((d) => info.env.format(d)), count: count(p.count), ...(p.trainable !== undefined ? { trainable: p.trainable } : {}), ...(p.running ? { running: true as const } : {}) })),
    total: count(info.total),
  };
}
