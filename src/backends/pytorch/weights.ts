/**
 * PyTorch state_dicts as seqc weights: which torch tensors make each
 * parameter of the standard layers, and how (gate order, concatenation, bias
 * sums). One table, TORCH_LAYERS, says it; `importTorchWeights` applies it and
 * `torchMappingTable` prints it for docs/pytorch.md (a test keeps the two
 * equal), so the mapping is written once.
 *
 * Layers are matched in order: the state_dict's modules in the order of their
 * keys (the order the torch model registered them; an nn.LSTM with
 * num_layers = L is L layers, each with its `_reverse` direction when
 * bidirectional), against the spec's std layer instances in the order of
 * their parameters. Kinds, directions and every shape are checked; a mismatch
 * is a TorchImportError that names the torch key, the seqc parameter, the
 * shape expected and the shape found.
 *
 * Pure: no torch, no files (src/cli/torch-file.ts reads a .pt with Python).
 */
import type { Graph, Node, Param } from "../../graph/graph.js";
import { dimValue, formatDim, solveDimsFromShapes } from "../../graph/dims.js";

/** A tensor of a state_dict: its shape and values (row-major), f32 or f64. */
export interface TorchTensor {
  shape: number[];
  values: Float32Array | Float64Array;
}

/** A seqc parameter's value. */
export interface SeqcTensor {
  shape: number[];
  values: Float32Array;
}

/** A state_dict that does not fit the spec's model: the message names keys, parameters and shapes. */
export class TorchImportError extends Error {}

// ------------------------------------------------------------------ the table

/** How a seqc parameter is made from one torch layer's tensors (for one direction). */
export type Make =
  /** A tensor of the layer (`weight_ih` of an RNN layer reads `weight_ih_l{k}`, `_reverse` for the backward direction). */
  | { kind: "key"; key: string }
  /** Matrices side by side (the same rows): seqc applies W to concat(h, x). */
  | { kind: "cols"; parts: Make[] }
  /** Elementwise sum: torch's two biases, which always add. */
  | { kind: "sum"; parts: Make[] }
  /** The rows, in blocks of one gate each, reordered from torch's gate order to seqc's. */
  | { kind: "gates"; of: Make; torch: string[]; seqc: string[] };

const key = (k: string): Make => ({ kind: "key", key: k });

/** A std layer that has a torch counterpart. */
export interface TorchLayer {
  /** The torch module. */
  torch: string;
  /** True for nn.RNN / nn.LSTM / nn.GRU: per-layer keys `NAME_l{k}` (and `_reverse`). */
  recurrent: boolean;
  /** Gates of the recurrent layer (weight_hh_l0 is [gates * H, H]), 1 for nn.RNN. */
  gates?: number;
  /** Each seqc parameter (by its name in the std cell or fn) and how it is made. */
  params: Record<string, Make>;
  /** What the docs add. */
  note?: string;
}

const LSTM_TORCH = ["i", "f", "g", "o"];
const LSTM_SEQC = ["i", "f", "o", "g"];

/** The std layers that import from torch, by std name. */
export const TORCH_LAYERS: Record<string, TorchLayer> = {
  dense: { torch: "nn.Linear", recurrent: false, params: { W: key("weight"), b: key("bias") } },
  embedding: { torch: "nn.Embedding", recurrent: false, params: { W: key("weight") } },
  elman: {
    torch: "nn.RNN",
    recurrent: true,
    gates: 1,
    params: { W: key("weight_ih"), U: key("weight_hh"), b: { kind: "sum", parts: [key("bias_ih"), key("bias_hh")] } },
    note: "nonlinearity tanh only (the default; a state_dict does not record it)",
  },
  lstm: {
    torch: "nn.LSTM",
    recurrent: true,
    gates: 4,
    params: {
      W: { kind: "gates", of: { kind: "cols", parts: [key("weight_hh"), key("weight_ih")] }, torch: LSTM_TORCH, seqc: LSTM_SEQC },
      b: { kind: "gates", of: { kind: "sum", parts: [key("bias_ih"), key("bias_hh")] }, torch: LSTM_TORCH, seqc: LSTM_SEQC },
    },
    note: "no proj_size",
  },
  gru_reset_after: {
    torch: "nn.GRU",
    recurrent: true,
    gates: 3,
    params: { W: key("weight_ih"), U: key("weight_hh"), b: key("bias_ih"), b_U: key("bias_hh") },
    note: "the same gate order r, z, n (seqc calls n h)",
  },
};

/** Std layers with a torch counterpart of another form: what to write instead. */
const NOT_TORCH: Record<string, string> = {
  gru: "std gru applies the reset gate before the recurrent product; nn.GRU applies it after: write gru_reset_after<H> (docs/pytorch.md)",
};

// ------------------------------------------------------------------ the docs

function describe(m: Make, recurrent: boolean): string {
  switch (m.kind) {
    case "key":
      return `\`${m.key}${recurrent ? "_lk" : ""}\``;
    case "cols":
      return `[${m.parts.map((p) => describe(p, recurrent)).join(" \\| ")}] (side by side)`;
    case "sum":
      return m.parts.map((p) => describe(p, recurrent)).join(" + ");
    case "gates":
      return `${describe(m.of, recurrent)}, row blocks ${m.torch.join(", ")} reordered to ${m.seqc.join(", ")}`;
  }
}

/**
 * The mapping as a markdown table (docs/pytorch.md holds it between markers;
 * test/backends/pytorch/weights.test.ts checks that it is this).
 */
export function torchMappingTable(): string {
  const rows = ["| seqc (std) | torch | seqc parameters, from the state_dict | note |", "|---|---|---|---|"];
  for (const [name, layer] of Object.entries(TORCH_LAYERS)) {
    const params = Object.entries(layer.params).map(([param, make]) => `\`${param}\` = ${describe(make, layer.recurrent)}`);
    rows.push(`| \`${name}\` | ${layer.torch} | ${params.join("<br>")} | ${layer.note ?? ""} |`);
  }
  return rows.join("\n") + "\n";
}

// ------------------------------------------------------------------ the spec's layers

/** One std layer instance of the spec: its kind, its parameter prefixes (two for bidirectional: forward, backward). */
export interface SeqcLayer {
  std: string;
  /** The instance's name in the spec (`h`, `enc`). */
  name: string;
  prefixes: string[];
  /** The place of its first parameter in graph.params. */
  order: number;
}

const STD_FILE: Record<string, string> = { dense: "std/dense.seq", embedding: "std/dense.seq", elman: "std/recurrent.seq", lstm: "std/recurrent.seq", gru_reset_after: "std/recurrent.seq", gru: "std/recurrent.seq" };

function prefixOf(p: Param): string {
  return p.name.slice(0, p.name.lastIndexOf("."));
}

function localName(p: Param): string {
  return p.name.slice(p.name.lastIndexOf(".") + 1);
}

/**
 * The spec's std layers in the order of their parameters; a TorchImportError
 * when a parameter belongs to anything torch has no counterpart of (the CLI
 * asks before it starts Python to read the state_dict).
 */
export function seqcLayers(graph: Graph): SeqcLayer[] {
  const byPrefix = new Map<string, Param[]>();
  for (const p of graph.params) byPrefix.set(prefixOf(p), [...(byPrefix.get(prefixOf(p)) ?? []), p]);
  const order = (prefix: string) => graph.params.findIndex((p) => prefixOf(p) === prefix);
  const layers: SeqcLayer[] = [];
  const claimed = new Set<string>();
  const scans = graph.nodes.filter((n): n is Extract<Node, { kind: "scan" }> => n.kind === "scan");
  for (const s of scans) {
    const { name, cell, reverse } = s.scan;
    const params = byPrefix.get(name) ?? [];
    if (params.length === 0 || params.some((p) => p.src?.file !== STD_FILE[cell])) continue;
    claimed.add(name);
    if (NOT_TORCH[cell]) throw new TorchImportError(`${name}: ${NOT_TORCH[cell]}`);
    const bi = /^(.*)\.(fwd|bwd)$/.exec(name);
    if (bi && scans.some((o) => o.scan.name === `${bi[1]}.${bi[2] === "fwd" ? "bwd" : "fwd"}`)) {
      if (bi[2] === "fwd") layers.push({ std: cell, name: bi[1]!, prefixes: [name, `${bi[1]}.bwd`], order: order(name) });
      continue;
    }
    if (reverse) throw new TorchImportError(`${name}: a reverse ${cell} scan has no torch counterpart (torch runs a layer backwards only as the _reverse half of a bidirectional one)`);
    layers.push({ std: cell, name, prefixes: [name], order: order(name) });
  }
  for (const [prefix, params] of byPrefix) {
    if (claimed.has(prefix)) continue;
    const names = params.map(localName).sort().join(",");
    const std = params.every((p) => p.src?.file === "std/dense.seq") ? (names === "W,b" ? "dense" : names === "W" ? "embedding" : undefined) : undefined;
    if (!std) {
      const kinds = Object.entries(TORCH_LAYERS).map(([k, l]) => `${k} (${l.torch})`).join(", ");
      throw new TorchImportError(`the parameter${params.length > 1 ? "s" : ""} ${params.map((p) => p.name).join(", ")} ${params.length > 1 ? "are" : "is"} not of a std layer that torch has: the layers that import are ${kinds}`);
    }
    layers.push({ std, name: prefix, prefixes: [prefix], order: order(prefix) });
  }
  return layers.sort((a, b) => a.order - b.order);
}

// ------------------------------------------------------------------ the state_dict's layers

/** One layer of the state_dict: a module (or one layer of a multi-layer RNN), its kind by its keys and shapes. */
interface TorchUnit {
  /** The module's prefix (`rnn.`, or "" for a module saved alone). */
  prefix: string;
  /** nn.Linear, nn.Embedding (a lone weight: also nn.Linear without bias), nn.RNN/LSTM/GRU, or what the keys are. */
  torch: string;
  /** The layer index of an RNN module. */
  layer?: number;
  directions: number;
  /** The keys it holds. */
  keys: string[];
}

const RNN_KEY = /^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$/;
const RNN_BY_GATES: Record<number, string> = { 1: "nn.RNN", 3: "nn.GRU", 4: "nn.LSTM" };

function describeUnit(u: TorchUnit): string {
  const name = u.prefix.replace(/\.$/, "") || "(top level)";
  return `${name}${u.layer !== undefined ? ` layer ${u.layer}` : ""}: ${u.torch}${u.directions === 2 ? " bidirectional" : ""}`;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

/** The state_dict's layers in the order of their keys. */
function torchUnits(dict: Map<string, TorchTensor>): TorchUnit[] {
  const modules = new Map<string, string[]>();
  for (const k of dict.keys()) {
    const dot = k.lastIndexOf(".");
    const prefix = k.slice(0, dot + 1);
    modules.set(prefix, [...(modules.get(prefix) ?? []), k]);
  }
  const units: TorchUnit[] = [];
  for (const [prefix, keys] of modules) {
    const local = keys.map((k) => k.slice(prefix.length));
    if (local.some((k) => RNN_KEY.test(k))) {
      const stray = keys.filter((k) => !RNN_KEY.test(k.slice(prefix.length)));
      if (stray.length > 0) throw new TorchImportError(`the state_dict's module ${prefix.replace(/\.$/, "") || "(top level)"} mixes recurrent keys with ${stray.join(", ")}`);
      const hr = keys.find((k) => k.slice(prefix.length).startsWith("weight_hr"));
      if (hr) throw new TorchImportError(`${hr}: an nn.LSTM with proj_size has no seqc counterpart`);
      const hh = dict.get(`${prefix}weight_hh_l0`);
      if (!hh || hh.shape.length !== 2) throw new TorchImportError(`the state_dict has recurrent keys under ${prefix || "the top level"} but no 2-D ${prefix}weight_hh_l0`);
      const [rows, h] = hh.shape as [number, number];
      const torch = rows % h === 0 ? RNN_BY_GATES[rows / h] : undefined;
      if (!torch) throw new TorchImportError(`${prefix}weight_hh_l0 is ${shapeText(hh.shape)}: not [H, H] (nn.RNN), [3*H, H] (nn.GRU) or [4*H, H] (nn.LSTM)`);
      const layers = [...new Set(local.map((k) => Number(RNN_KEY.exec(k)![2])))].sort((a, b) => a - b);
      for (const l of layers) {
        const mine = keys.filter((k) => Number(RNN_KEY.exec(k.slice(prefix.length))![2]) === l);
        units.push({ prefix, torch, layer: l, directions: mine.some((k) => k.endsWith("_reverse")) ? 2 : 1, keys: mine });
      }
      continue;
    }
    const names = [...local].sort().join(",");
    const weight = dict.get(`${prefix}weight`);
    const torch = weight?.shape.length === 2 && names === "bias,weight" ? "nn.Linear" : weight?.shape.length === 2 && names === "weight" ? "nn.Embedding" : `a module with ${local.map((k) => `${k} ${shapeText(dict.get(prefix + k)!.shape)}`).join(", ")}`;
    units.push({ prefix, torch, directions: 1, keys });
  }
  return units;
}

/** Whether a seqc std layer takes a state_dict layer: the same torch module (a lone weight is also nn.Linear without bias). */
function takes(std: string, u: TorchUnit): boolean {
  const want = TORCH_LAYERS[std]!.torch;
  return u.torch === want || (std === "dense" && u.torch === "nn.Embedding");
}

// ------------------------------------------------------------------ the mapping

/** A tensor being built, with the keys it came from (for messages). */
interface Built {
  shape: number[];
  values: Float64Array;
  from: string[];
}

class Mapper {
  constructor(
    private readonly dict: Map<string, TorchTensor>,
    private readonly unit: TorchUnit,
    private readonly reverse: boolean,
    private readonly layer: TorchLayer,
    private readonly what: string,
  ) {}

  private keyName(k: string): string {
    return this.layer.recurrent ? `${this.unit.prefix}${k}_l${this.unit.layer}${this.reverse ? "_reverse" : ""}` : `${this.unit.prefix}${k}`;
  }

  /** The rows of the layer's (first) weight: the length of a bias the layer was made without (bias=False). */
  private biasRows(): number {
    const w = this.dict.get(this.keyName(this.layer.recurrent ? "weight_ih" : "weight"));
    return w?.shape[0] ?? 0;
  }

  build(m: Make): Built {
    switch (m.kind) {
      case "key": {
        const name = this.keyName(m.key);
        const t = this.dict.get(name);
        if (!t) {
          // A layer made with bias=False has no bias: zeros.
          if (m.key.startsWith("bias") && !this.unit.keys.some((k) => k.slice(this.unit.prefix.length).startsWith("bias"))) return { shape: [this.biasRows()], values: new Float64Array(this.biasRows()), from: [`${name} (absent: zeros)`] };
          throw new TorchImportError(`the state_dict has no ${name} (${this.what})`);
        }
        for (let i = 0; i < t.values.length; i++) {
          if (!Number.isFinite(t.values[i]!)) throw new TorchImportError(`${name} holds ${t.values[i]} at index ${i}`);
        }
        return { shape: [...t.shape], values: Float64Array.from(t.values), from: [name] };
      }
      case "sum": {
        const parts = m.parts.map((p) => this.build(p));
        const first = parts[0]!;
        for (const p of parts.slice(1)) {
          if (shapeText(p.shape) !== shapeText(first.shape)) throw new TorchImportError(`${p.from.join(", ")} is ${shapeText(p.shape)} but ${first.from.join(", ")} is ${shapeText(first.shape)}: they are added (${this.what})`);
        }
        const values = new Float64Array(first.values.length);
        for (const p of parts) for (let i = 0; i < values.length; i++) values[i] += p.values[i]!;
        return { shape: first.shape, values, from: parts.flatMap((p) => p.from) };
      }
      case "cols": {
        const parts = m.parts.map((p) => this.build(p));
        const rows = parts[0]!.shape[0]!;
        for (const p of parts) {
          if (p.shape.length !== 2 || p.shape[0] !== rows) throw new TorchImportError(`${p.from.join(", ")} is ${shapeText(p.shape)}; expected [${rows}, *] like ${parts[0]!.from.join(", ")} (${this.what})`);
        }
        const cols = parts.reduce((s, p) => s + p.shape[1]!, 0);
        const values = new Float64Array(rows * cols);
        let c0 = 0;
        for (const p of parts) {
          const c = p.shape[1]!;
          for (let i = 0; i < rows; i++) for (let j = 0; j < c; j++) values[i * cols + c0 + j] = p.values[i * c + j]!;
          c0 += c;
        }
        return { shape: [rows, cols], values, from: parts.flatMap((p) => p.from) };
      }
      case "gates": {
        const t = this.build(m.of);
        const n = m.torch.length;
        if (t.shape[0]! % n !== 0) throw new TorchImportError(`${t.from.join(", ")} has ${t.shape[0]} rows, not ${n} gate blocks (${this.what})`);
        const block = (t.shape[0]! / n) * (t.values.length / t.shape[0]!);
        const values = new Float64Array(t.values.length);
        m.seqc.forEach((g, s) => values.set(t.values.subarray(m.torch.indexOf(g) * block, (m.torch.indexOf(g) + 1) * block), s * block));
        return { shape: t.shape, values, from: t.from };
      }
    }
  }
}

/**
 * The seqc weights (by parameter name, every parameter of the graph) of a
 * state_dict (by key), or a TorchImportError saying what does not fit.
 * `dims`: values of free dims already known (none for a foreign model).
 */
export function importTorchWeights(graph: Graph, dict: Map<string, TorchTensor>, dims: Record<string, number> = {}): Map<string, SeqcTensor> {
  const ours = seqcLayers(graph);
  const theirs = torchUnits(dict);
  if (ours.length !== theirs.length) {
    throw new TorchImportError(
      `the state_dict has ${theirs.length} layer${theirs.length === 1 ? "" : "s"} (${theirs.map(describeUnit).join("; ")}); the model ${graph.model} has ${ours.length} (${ours.map((l) => `${l.name}: ${l.std}${l.prefixes.length === 2 ? " bidirectional" : ""}`).join("; ")}); they are matched in order`,
    );
  }
  const built = new Map<string, Built>();
  ours.forEach((l, i) => {
    const u = theirs[i]!;
    const layer = TORCH_LAYERS[l.std]!;
    const what = `${describeUnit(u)} for ${l.name}, ${l.std}${l.prefixes.length === 2 ? " bidirectional" : ""}`;
    if (!takes(l.std, u)) throw new TorchImportError(`layer ${i + 1}: the state_dict's ${describeUnit(u)} does not fit ${l.name}, a std ${l.std} (${layer.torch}); layers are matched in order`);
    if (u.directions !== l.prefixes.length) throw new TorchImportError(`layer ${i + 1}: the state_dict's ${describeUnit(u)} has ${u.directions} direction${u.directions === 1 ? "" : "s"}; ${l.name} has ${l.prefixes.length}${l.prefixes.length === 2 ? " (bidirectional)" : ""}`);
    l.prefixes.forEach((prefix, dir) => {
      const mapper = new Mapper(dict, u, dir === 1, layer, what);
      for (const [param, make] of Object.entries(layer.params)) built.set(`${prefix}.${param}`, mapper.build(make));
    });
    // The state_dict's keys this layer does not read are a sign of another module.
    const read = new Set([...built.values()].flatMap((b) => b.from));
    const unread = u.keys.filter((k) => !read.has(k));
    if (unread.length > 0) throw new TorchImportError(`${unread.join(", ")}: no seqc parameter of ${l.name} (${l.std}) takes ${unread.length === 1 ? "it" : "them"}`);
  });
  // Every shape against the spec's, with the free dims the shapes imply.
  const solved = solveDimsFromShapes(graph, dims, new Map([...built].map(([k, v]) => [k, v.shape])));
  const out = new Map<string, SeqcTensor>();
  for (const p of graph.params) {
    const b = built.get(p.name)!;
    const want = p.shape.map((d) => {
      try {
        return dimValue(graph, d, solved);
      } catch {
        return formatDim(graph, d);
      }
    });
    if (want.length !== b.shape.length || want.some((v, k) => typeof v === "number" && v !== b.shape[k])) {
      const symbolic = `[${p.shape.map((d) => formatDim(graph, d)).join(", ")}]`;
      throw new TorchImportError(`${b.from.join(", ")} make${b.from.length === 1 ? "s" : ""} ${p.name} ${shapeText(b.shape)}; the spec's ${p.name} is ${symbolic}${symbolic === shapeText(want) ? "" : ` = ${shapeText(want)}`}`);
    }
    out.set(p.name, { shape: b.shape, values: Float32Array.from(b.values) });
  }
  return out;
}
