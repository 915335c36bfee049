/**
 * A model's graph as DOT (src/graph/dot.ts): each drawn node's name, op,
 * shape (symbolic, and numeric once its dims are bound) and parameter count (the
 * summary's), the expanded cells with their equations, states and recurrent
 * edges, the feedback edge, and the same text every time.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { summaryData } from "../../src/check/summary.js";
import { checkSpec, compileSpec } from "../../src/driver.js";
import { graphDot, type DotOptions } from "../../src/graph/dot.js";

function dotOf(file: string, opts: DotOptions & { dims?: Record<string, number> } = {}) {
  const { dims, ...dotOpts } = opts;
  const c = compileSpec(`specs/${file}`, { text: readFileSync(`specs/${file}`, "utf8"), ...(dims ? { dims: new Map(Object.entries(dims)) } : {}) });
  expect(c.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { dot: graphDot(c.graph!, c.model!, { sources: c.program.sources, ...dotOpts }), summary: summaryData(c.model!) };
}

/** The label of the DOT node `id`'s line, its HTML markup dropped. */
function labelOf(dot: string, id: string): string {
  const line = dot.split("\n").find((l) => l.trimStart().startsWith(`${id} [`));
  expect(line, `node ${id}`).toBeDefined();
  return line!.replace(/^[^<]*label=</, "").replace(/<br\/>/g, " | ").replace(/<[^>]*>/g, "").replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/>\];$/, "");
}

/** Node ids whose label starts with `title` (a value's name, or an op's). */
function idsOf(dot: string, title: string): string[] {
  return [...dot.matchAll(/^\s*(n\d+) \[.*label=<(?:<b>|<i>)([^<]*)</gm)].filter((m) => m[2] === title).map((m) => m[1]!);
}

describe("graphDot", () => {
  it("char_lstm: inputs, ops and the scan with their shapes and the summary's parameter counts", () => {
    const { dot, summary } = dotOf("char_lstm.seq");
    expect(dot.startsWith('digraph "char_lstm" {\n')).toBe(true);
    expect(labelOf(dot, idsOf(dot, "x")[0]!)).toBe("x  input | [T] of chars");
    expect(labelOf(dot, idsOf(dot, "y")[0]!)).toBe("y  target | [T] of chars");
    expect(labelOf(dot, idsOf(dot, "one_hot")[0]!)).toBe("one_hot | [T, V]");
    const h = summary.values.find((v) => v.name === "h")!;
    expect(labelOf(dot, idsOf(dot, "h")[0]!)).toBe(`h  lstm | scan, states h, c | [T, H] | ${h.params.symbolic} params`);
    expect(labelOf(dot, idsOf(dot, "logits")[0]!)).toBe("logits  add | [T, V] | logits.b: V params");
    expect(labelOf(dot, idsOf(dot, "matmul")[0]!)).toBe("matmul | [T, V] | logits.W: H*V params");
    expect(labelOf(dot, idsOf(dot, "loss: cross_entropy")[0]!)).toBe("loss: cross_entropy | scalar");
    // The title holds the total, as the summary counts it.
    expect(dot).toContain(`specs/char_lstm.seq; ${summary.total.symbolic} params`);
    // Edges: the data flows x -> one_hot -> h -> matmul -> logits -> loss <- y; generation feeds logits back to x.
    const [x, y, oneHot, scan, matmul, logits, loss] = ["x", "y", "one_hot", "h", "matmul", "logits", "loss: cross_entropy"].map((t) => idsOf(dot, t)[0]!);
    for (const [a, b] of [[x, oneHot], [oneHot, scan], [scan, matmul], [matmul, logits], [logits, loss], [y, loss]]) expect(dot).toMatch(new RegExp(`^  ${a} -> ${b};$`, "m"));
    expect(dot).toMatch(new RegExp(`^  ${logits} -> ${x} \\[label="feedback \\(generation\\)", style=dotted`, "m"));
    // No cluster unless asked; the constants only the scan's initial states read are not drawn.
    expect(dot).not.toContain("subgraph");
    expect(dot).not.toContain("plaintext");
  });

  it("counts weights as the summary does: a const-masked param's trained entries, a running statistic's none", () => {
    for (const file of ["lenet5.seq", "tdnn_bn.seq"]) {
      const { dot, summary } = dotOf(file);
      const all = summary.parameters.reduce((n, p) => n + p.count.value!, 0);
      // Neither model would show the difference otherwise.
      expect(summary.total.value, file).toBeLessThan(all);
      expect(dot, file).toContain(`specs/${file}; ${summary.total.symbolic} = ${summary.total.value!.toLocaleString("en-US")} params`);
    }
  });

  it("with every dim bound, shapes and counts are numbers too (the summary's)", () => {
    const { dot, summary } = dotOf("char_lstm.seq", { dims: { V: 65, T: 50 } });
    const h = summary.values.find((v) => v.name === "h")!;
    expect(h.params.value).toBe(99_328);
    expect(labelOf(dot, idsOf(dot, "h")[0]!)).toBe(`h  lstm | scan, states h, c | [T, H] = [50, 128] | ${h.params.symbolic} = 99,328 params`);
    expect(labelOf(dot, idsOf(dot, "one_hot")[0]!)).toBe("one_hot | [T, V] = [50, 65]");
    expect(summary.total.value).toBe(99_328 + 8_385);
    expect(dot).toContain(`${summary.total.symbolic} = 107,713 params`);
  });

  it("--expand: a cell's step as a cluster with its states, equations and the edge from each next state back", () => {
    const { dot } = dotOf("char_lstm.seq", { expand: true, rankdir: "LR" });
    expect(dot).toContain("rankdir=LR");
    expect(dot).toMatch(/subgraph cluster_n\d+ \{\n\s+label=<<b>h<\/b>  <i>lstm<\/i><br\/><font point-size="10">scan over each step; states h = 0, c = 0<\/font>/);
    const c2 = idsOf(dot, "c'")[0]!;
    const h2 = idsOf(dot, "h'")[0]!;
    expect(labelOf(dot, c2)).toBe("c'  add | c' = sigmoid(f) * c + sigmoid(i) * tanh(g) | [H] = [128]");
    expect(labelOf(dot, h2)).toBe("h'  mul | h' = sigmoid(o) * tanh(c') | [H] = [128]");
    const [hState, cState] = ["h", "c"].map((n) => idsOf(dot, n).find((id) => labelOf(dot, id).includes("state"))!);
    expect(dot).toMatch(new RegExp(`${h2} -> ${hState} \\[label="h \\(next step\\)", style=bold.*constraint=false\\];`));
    expect(dot).toMatch(new RegExp(`${c2} -> ${cState} \\[label="c \\(next step\\)", style=bold.*constraint=false\\];`));
    // The scan's output feeds the dense layer from the step's out value; the one-hot feeds the step input.
    expect(dot).toMatch(new RegExp(`${h2} -> ${idsOf(dot, "matmul").at(-1)!} \\[label="each step"\\];`));
    const step = idsOf(dot, "x").find((id) => labelOf(dot, id).includes("step input"))!;
    expect(labelOf(dot, step)).toBe("x  step input | [V]");
    expect(dot).toMatch(new RegExp(`${idsOf(dot, "one_hot")[0]!} -> ${step};`));
    expect(labelOf(dot, idsOf(dot, "i")[0]!)).toBe("i  split 1/4 | [H] = [128]");
  });

  it("seq2seq_attention: the encoder's final states start the decoder, the encoder's outputs are its context", () => {
    const plain = dotOf("seq2seq_attention.seq").dot;
    const [enc, dec] = ["enc", "dec"].map((n) => idsOf(plain, n)[0]!);
    expect(plain).toMatch(new RegExp(`${enc} -> ${dec} \\[label="final h \u2192 initial h", style=dashed\\];`));
    expect(plain).toMatch(new RegExp(`${enc} -> ${dec} \\[label="final c \u2192 initial c", style=dashed\\];`));
    expect(plain).toMatch(new RegExp(`${enc} -> ${dec} \\[label="context", style=dashed\\];`));
    expect(labelOf(plain, dec)).toMatch(/^dec  attention_lstm \| scan, states h, c \| \[U, H\] \| 4\*E\*H \+ 9\*H\*H \+ 4\*H = 45,312 params$/);
    const { dot } = dotOf("seq2seq_attention.seq", { expand: true });
    expect(dot.match(/subgraph cluster_/g)).toHaveLength(2);
    expect(dot).toContain("scan over each step; states h given, c given");
    expect(labelOf(dot, idsOf(dot, "alpha")[0]!)).toBe("alpha  softmax | alpha = softmax(e) | [S]");
    expect(labelOf(dot, idsOf(dot, "mem")[0]!)).toBe("mem  context | [S, H]");
    expect(labelOf(dot, idsOf(dot, "matmul").find((id) => labelOf(dot, id).includes("dec.W_a"))!)).toBe("matmul | [H] = [64] | dec.W_a: H*H = 4,096 params");
  });

  it("every edge joins drawn nodes, for every model of every shipped spec, plain and expanded", () => {
    for (const f of readdirSync("specs").filter((n) => n.endsWith(".seq"))) {
      const path = `specs/${f}`;
      const text = readFileSync(path, "utf8");
      for (const m of checkSpec(path, { text }).models) {
        const c = compileSpec(path, { text, model: m.name });
        for (const expand of [false, true]) {
          const dot = graphDot(c.graph!, c.model!, { expand, sources: c.program.sources });
          const drawn = new Set([...dot.matchAll(/^\s*(n\d+) \[/gm)].map((x) => x[1]));
          const ends = [...dot.matchAll(/^\s*(n\d+) -> (n\d+)/gm)].flatMap((e) => [e[1], e[2]]);
          expect(ends.length, `${f} ${m.name}`).toBeGreaterThan(0);
          expect(ends.filter((id) => !drawn.has(id)), `${f} ${m.name}${expand ? " --expand" : ""}`).toEqual([]);
        }
      }
    }
  });

  it("is the same text every time", () => {
    expect(dotOf("seq2seq_attention.seq", { expand: true }).dot).toBe(dotOf("seq2seq_attention.seq", { expand: true }).dot);
  });

  it("has no Node built-ins (the browser playground draws with it)", () => {
    expect(readFileSync("src/graph/dot.ts", "utf8")).not.toMatch(/from "node:/);
  });
});
