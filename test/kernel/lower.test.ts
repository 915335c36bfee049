/**
 * What the lowering (src/kernel/lower.ts) hands the emitter besides
 * statements: buffers named in the spec's terms (an adjoint by the buffer of
 * its value), and notes with their place in the spec; identifiers and the
 * quoted spec lines are the emitter's.
 */
import { describe, expect, it } from "vitest";
import { lowerGraph } from "../../src/kernel/lower.js";
import type { Stmt } from "../../src/kernel/program.js";
import { graphOf } from "../helpers/spec.js";

const graph = graphOf(`model m {
  dim T
  input x: [T, 2]
  target y: [T, 1]
  h = elman<3>(x)
  loss mse(dense<1>(h), y)
}
`);
const program = lowerGraph(graph);

const notes = (stmts: Stmt[]): Extract<Stmt, { s: "note" }>[] =>
  stmts.flatMap((st) => (st.s === "note" ? [st] : st.s === "loop" ? notes(st.body) : st.s === "initial" ? notes(st.otherwise) : st.s === "unlessInitial" ? notes(st.body) : []));

describe("lowerGraph", () => {
  it("names buffers after the spec, an adjoint after its value's buffer", () => {
    const h = program.buffers.findIndex((b) => b.name.join("") === "h");
    expect(h).toBeGreaterThanOrEqual(0);
    expect(program.buffers.find((b) => b.name.length === 2 && b.name[0] === "d" && typeof b.name[1] !== "string" && b.name[1]!.buf === h)?.doc).toEqual(["adjoint of h (scan of elman)"]);
    expect(program.buffers.filter((b) => b.kind === "param").map((b) => b.name)).toEqual([["h.W"], ["U"], ["h.b"], ["dense.W"], ["dense.b"]]);
    expect(program.buffers.filter((b) => b.kind === "grad").map((b) => b.name)).toEqual([["dh.W"], ["dU"], ["dh.b"], ["ddense.W"], ["ddense.b"]]);
  });

  it("gives each op's and scan's note its place in the spec, not the spec's text", () => {
    const all = [...notes(program.forward), ...notes(program.backward)];
    const scan = all.find((n) => n.text === "h: scan of elman over time")!;
    expect(scan.src).toEqual(graph.nodes.find((n) => n.kind === "scan")!.src);
    expect(scan.src!.loc.start).toBeGreaterThan(0);
    for (const n of all) expect(n.text).not.toMatch(/spec\.seq/);
  });
});
