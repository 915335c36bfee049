/**
 * src/parse/comments.ts: where each `# ...` comment of a spec attaches in the
 * AST (after the node its line ends, before the next node of its block, at a
 * block's end, before a statement it sits inside) and which nodes keep a
 * blank line before them.
 */
import { describe, expect, it } from "vitest";
import { parseText } from "../../src/parse/parse.js";
import type { Comments } from "../../src/parse/ast.js";

function parsed(text: string) {
  const r = parseText("spec.seq", text);
  expect(r.diagnostics).toEqual([]);
  return r.module;
}

/** A node's comments without undefined fields. */
const of = (n: { comments?: Comments }) => n.comments ?? {};

describe("attachComments", () => {
  it("a comment on a node's last line goes after it; a comment on lines of its own before the next node", () => {
    const m = parsed("# top\ndim A = 2  # two\n# before B\n# and again\ndim B = 3\n");
    expect(of(m.items[0]!)).toEqual({ before: ["# top"], after: "# two" });
    expect(of(m.items[1]!)).toEqual({ before: ["# before B", "# and again"] });
  });

  it("comments inside a block attach to its statements; the last ones are the block's end comments", () => {
    const m = parsed("model m {\n  # the input\n  input x: [3]\n  target y: [3]  # what to predict\n  loss mse(x, y)\n  # nothing after\n}\n# end of file\n");
    const model = m.items[0] as { body: { comments?: Comments }[]; endComments?: string[] };
    expect(of(model.body[0]!)).toEqual({ before: ["# the input"] });
    expect(of(model.body[1]!)).toEqual({ after: "# what to predict" });
    expect(model.endComments).toEqual(["# nothing after"]);
    expect(m.endComments).toEqual(["# end of file"]);
  });

  it("a comment in the middle of a statement moves before that statement", () => {
    const m = parsed("model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x,  # the prediction\n    y)\n}\n");
    const model = m.items[0] as { body: { comments?: Comments }[] };
    expect(of(model.body[2]!)).toEqual({ before: ["# the prediction"] });
  });

  it("train entries take comments like statements", () => {
    const m = parsed("model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n  train {\n    batch: 4  # small\n    epochs: 2\n  }\n}\n");
    const model = m.items[0] as { body: { kind: string; entries?: { comments?: Comments }[] }[] };
    const train = model.body.find((s) => s.kind === "train")!;
    expect(of(train.entries![0]!)).toEqual({ after: "# small" });
  });

  it("a blank line between two statements is a gap (one, however many lines); top-level blocks always have one", () => {
    const m = parsed("dim A = 2\ndim B = 3\n\n\n\ndim C = 4\nmodel m {\n  input x: [3]\n\n  # y\n  target y: [3]\n  loss mse(x, y)\n}\n");
    expect(m.items.map((n) => of(n).gap ?? false)).toEqual([false, false, true, true]);
    const model = m.items[3] as { body: { comments?: Comments }[] };
    expect(model.body.map((n) => of(n).gap ?? false)).toEqual([false, true, false]);
    expect(of(model.body[1]!).before).toEqual(["# y"]);
  });
});
