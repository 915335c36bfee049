/**
 * `seqc graph` through the real command line: well-formed SVG rendered offline
 * with the nodes' names, ops, shapes and parameter counts, the same bytes
 * every time, DOT by extension, and exit codes 1 and 2 with messages.
 */
import { XMLValidator } from "fast-xml-parser";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dotToSvg } from "../../../src/graph/svg.js";
import { compileSpec } from "../../../src/driver.js";
import { graphDot } from "../../../src/graph/dot.js";
import { BAD_SHAPES, runSeqc, scratch } from "../../helpers/cli.js";

const tmp = scratch("seqc-graph-");

/** The text of an SVG's <text> elements, entities decoded. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&#45;/g, "-").replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"));
}

describe("seqc graph", () => {
  it("renders a spec's model as well-formed SVG, the same every time, with its nodes' labels", async () => {
    const out = join(tmp.dir, "char_lstm.svg");
    const r = runSeqc(["graph", "specs/char_lstm.seq", "--expand", "--dim", "V=65", "-o", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const svg = readFileSync(out, "utf8");
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toMatch(/<svg width="\d+pt" height="\d+pt"/);
    const t = texts(svg);
    for (const label of ["model char_lstm", "one_hot", "[T, V]", "lstm", "h'", "h' = sigmoid(o) * tanh(c')", "h (next step)", "feedback (generation)", "logits.W: H*V = 8,320 params", "[H] = [128]"]) expect(t).toContain(label);
    expect(t.some((s) => s.includes("4*H*H + 4*H*V + 4*H = 99,328 params"))).toBe(true);
    // Deterministic: rendering the same DOT again (in this process: cheaper than another run) gives the same bytes.
    const c = compileSpec("specs/char_lstm.seq", { text: readFileSync("specs/char_lstm.seq", "utf8"), dims: new Map([["V", 65]]) });
    const dot = graphDot(c.graph!, c.model!, { expand: true, rankdir: "TB", sources: c.program.sources });
    expect(await dotToSvg(dot)).toBe(svg);
  });

  it("writes DOT for .dot (or --to dot to standard output), left to right with --rankdir LR; one model of several with --model", () => {
    const two = tmp.file("two.seq", "model a {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\nmodel b {\n  input x: [4]\n  target y: [4]\n  loss mse(x, y)\n}\n");
    const out = join(tmp.dir, "b.dot");
    const b = runSeqc(["graph", two, "--model", "b", "--rankdir", "LR", "-o", out]);
    expect(b.status, b.stderr).toBe(0);
    const dot = readFileSync(out, "utf8");
    expect(dot).toMatch(/^digraph "b" \{\n  graph \[rankdir=LR/);
    expect(dot).toContain("<b>x</b>  <i>input</i><br/><font point-size=\"10\">[4]</font>");
  });

  it("bad input: exit 1 for a spec with errors, 2 for an unknown model or a format it cannot write", () => {
    const bad = runSeqc(["graph", tmp.file("bad.seq", BAD_SHAPES), "-o", join(tmp.dir, "bad.svg")]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error\[SEQ0308\]/);
    const model = runSeqc(["graph", "specs/char_lstm.seq", "--model", "nope"]);
    expect(model.status).toBe(2);
    expect(model.stderr).toContain("specs/char_lstm.seq has no model nope (it has char_lstm)");
    const png = runSeqc(["graph", "specs/char_lstm.seq", "-o", join(tmp.dir, "x.png")]);
    expect(png.status).toBe(2);
    expect(png.stderr).toMatch(/write a \.svg, \.dot or \.gv file, or say which with --to svg\|dot \(there is no PNG/);
    // A missing spec or an output onto a directory: test/e2e/io-failures.test.ts.
  });
});
