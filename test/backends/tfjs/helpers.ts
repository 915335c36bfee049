/** Shared helpers for the tfjs target tests: inline models, seeded data, comparisons. */
import type * as tfTypes from "@tensorflow/tfjs";
import { expect } from "vitest";
import type { Graph, Node } from "../../../src/graph/graph.js";
import { Rng } from "../../../src/runtime/init.js";
import type { Engine } from "../../../src/backends/tfjs/engine.js";
import { dimValue, type DimValues } from "../../../src/graph/dims.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { maxAbsDiff } from "../../helpers/numeric.js";
import { graphOf } from "../../helpers/spec.js";

export { graphOf };

export type Tensor = tfTypes.Tensor;

/** A model from an inline spec on an engine. */
export function modelOf(text: string, engine: Engine, fixedDims: DimValues = {}, seed = 1): { graph: Graph; model: TfModel } {
  const graph = graphOf(text);
  return { graph, model: new TfModel(graph, engine, fixedDims, seed) };
}

/** `n` uniform numbers in [-scale, scale) from a seeded generator. */
export function randoms(rng: Rng, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(scale);
  return out;
}

/** A random float tensor of a shape. */
export function randomTensor(engine: Engine, rng: Rng, shape: number[], scale = 1): Tensor {
  return engine.tf.tensor(randoms(rng, shape.reduce((a, b) => a * b, 1), scale), shape);
}

/** Random int32 tokens in [0, v). */
export function randomTokens(engine: Engine, rng: Rng, shape: number[], v: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.floor(rng.next() * v);
  return engine.tf.tensor(data, shape, "int32");
}

/** Random values for every parameter of a model (by name), uniform in [-scale, scale). */
export function randomWeights(model: TfModel, rng: Rng, scale = 0.5): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of model.params) out[name] = randoms(rng, v.size, scale);
  return out;
}

/** Max |a - b| over two tensors of the same shape. */
export function maxTensorDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return maxAbsDiff(a.dataSync(), b.dataSync());
}

/** Every node of a graph, scan bodies included. */
export function allNodes(nodes: Node[]): Node[] {
  return nodes.flatMap((n) => (n.kind === "scan" ? [n, ...allNodes(n.scan.body)] : [n]));
}

/** The shape the checker gives a named value, evaluated for these dims, with the batch axis in front. */
export function checkedShape(graph: Graph, name: string, free: DimValues, batch: number): number[] {
  const node = allNodes(graph.nodes).find((n) => n.id === graph.values[name]);
  if (!node) throw new Error(`no value ${name}`);
  const shape = node.shape.map((d) => dimValue(graph, d, free));
  return node.batched ? [batch, ...shape] : shape;
}

/** Keeps the largest measured difference per label, printed by the tests that agree with a reference. */
export class Report {
  private readonly rows = new Map<string, number>();

  add(label: string, diff: number): void {
    this.rows.set(label, Math.max(this.rows.get(label) ?? 0, diff));
  }

  print(title: string): void {
    const lines = [...this.rows].map(([k, v]) => `  ${k.padEnd(56)} ${v.toExponential(2)}`);
    console.log(`${title}\n${lines.join("\n")}`);
  }
}
