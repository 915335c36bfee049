/** The graph of every catalogue model agrees with the checker, and its structure is as documented. */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Poly } from "../../src/check/dims.js";
import type { ModelInfo } from "../../src/check/infer.js";
import { formatTy } from "../../src/check/types.js";
import { buildGraph } from "../../src/graph/build.js";
import type { Dim, Graph, Node } from "../../src/graph/graph.js";
import { checkedInline, checkFile } from "../helpers/spec.js";

const SPECS = readdirSync("specs").filter((f) => f.endsWith(".seq")).sort();

function modelsOf(file: string): ModelInfo[] {
  return checkFile(`specs/${file}`).models;
}

function fmt(m: ModelInfo, shape: Dim[]): string {
  return `[${shape.map((d) => m.env.format(Poly.fromTerms(d))).join(", ")}]`;
}

function nodeOf(g: Graph, id: number): Node {
  const find = (nodes: Node[]): Node | undefined => {
    for (const n of nodes) {
      if (n.id === id) return n;
      if (n.kind === "scan") {
        const inner = find(n.scan.body);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  const n = find(g.nodes);
  if (!n) throw new Error(`no node ${id}`);
  return n;
}

describe("buildGraph on specs/", () => {
  const cases = SPECS.flatMap((file) => modelsOf(file).map((m) => [`${file} ${m.name}`, m] as const));
  it.each(cases)("%s: params and value shapes agree with the checker", (_name, m) => {
    const g = buildGraph(m);
    expect(g.params.map((p) => `${p.name} ${fmt(m, p.shape)}`)).toEqual(m.params.map((p) => `${p.name} [${p.dims.map((d) => m.env.format(d)).join(", ")}]`));
    for (const v of m.values) {
      expect(fmt(m, nodeOf(g, g.values[v.name]!).shape), v.name).toBe(formatTy(v.ty, m.env).replace(/ of \w+$/, ""));
    }
    expect(g.losses.length).toBeGreaterThan(0);
  });
});

function graphOf(text: string): { g: Graph; m: ModelInfo } {
  const c = checkedInline(text);
  return { g: c.graph, m: c.model };
}

describe("graph structure", () => {
  const spec = (body: string) => `model m {\n  dim T\n  input x: [T, 3]\n  target y: [T, 2]\n${body}\n}\n`;

  it("a fn mapped over time is inlined with lead 1; params are unbatched", () => {
    const { g } = graphOf(spec("  p = dense<2>(x)\n  loss mse(p, y)"));
    const matmul = g.nodes.find((n) => n.kind === "op" && n.op === "matmul")!;
    expect(matmul).toMatchObject({ lead: 1, batched: true });
    expect(g.params.map((p) => p.name)).toEqual(["p.W", "p.b"]);
  });

  it("a cell becomes a scan whose body updates every state", () => {
    const { g, m } = graphOf(spec("  h = lstm<2>(x)\n  loss mse(h, y)"));
    const scan = g.nodes.find((n) => n.kind === "scan")!;
    if (scan.kind !== "scan") throw new Error("no scan");
    expect(scan.scan.states.map((s) => s.name)).toEqual(["h", "c"]);
    expect(scan.scan.states.every((s) => s.next >= 0)).toBe(true);
    expect(scan.scan.seq).toHaveLength(1);
    expect(fmt(m, scan.shape)).toBe("[T, 2]");
    expect(g.nodes.filter((n) => n.kind === "final").map((n) => (n.kind === "final" ? n.state : ""))).toEqual(["h", "c"]);
  });

  it("bidirectional is two scans, the second reversed, joined on the last axis", () => {
    const { g, m } = graphOf(spec("  h = bidirectional gru<1>(x)\n  loss mse(h, y)"));
    const scans = g.nodes.filter((n) => n.kind === "scan");
    expect(scans.map((n) => (n.kind === "scan" ? [n.scan.name, n.scan.reverse] : []))).toEqual([["h.fwd", false], ["h.bwd", true]]);
    const out = nodeOf(g, g.values["h"]!);
    expect(out).toMatchObject({ kind: "op", op: "concat" });
    expect(fmt(m, out.shape)).toBe("[T, 2]");
  });

  it("with { ... } gives a scan its initial states; others start from their declared value", () => {
    const { g } = graphOf(spec("  e = lstm<2>(x)\n  d = lstm<2>(x) with { h: e.h }\n  loss mse(d, y)"));
    const [, dec] = g.nodes.filter((n) => n.kind === "scan");
    if (dec?.kind !== "scan") throw new Error("no decoder");
    const h = dec.scan.states.find((s) => s.name === "h")!;
    const c = dec.scan.states.find((s) => s.name === "c")!;
    expect(nodeOf(g, h.init)).toMatchObject({ kind: "final", state: "h" });
    expect(nodeOf(g, c.init)).toMatchObject({ kind: "const", value: 0 });
  });

  it("split gives one node per part; compile-time options are resolved", () => {
    const { g } = graphOf(spec("  a, b = split<2>(concat(x, x))\n  p = dense<2>(a + b)\n  q = mean(p, axis: -1)\n  loss mse(p, y)"));
    const parts = g.nodes.filter((n) => n.kind === "op" && n.op === "split");
    expect(parts.map((n) => (n.kind === "op" ? n.attrs : {}))).toEqual([{ n: 2, index: 0 }, { n: 2, index: 1 }]);
    const mean = g.nodes.find((n) => n.kind === "op" && n.op === "mean");
    expect(mean).toMatchObject({ attrs: { axis: 1 } });
  });

  it("conv options from a std fn's generic arguments reach the op", () => {
    const { g } = graphOf("model m {\n  input img: [7, 7, 1]\n  c = conv2d<K=1, F=3, stride=2, pad=same>(img)\n  loss mse(c, c)\n}\n".replace("pad=same", "pad=1"));
    expect(g.nodes.find((n) => n.kind === "op" && n.op === "conv")).toMatchObject({ attrs: { stride: 2, pad: 1, dilation: 1 } });
  });
});
