import { describe, expect, it } from "vitest";
import { diagnostic } from "../../../src/diagnostics/diagnostic.js";
import { MAX_PER_FILE } from "../../../src/diagnostics/render/common.js";
import { FORMATS, render, renderGithub, renderHuman, renderJson, renderSarif } from "../../../src/diagnostics/render/index.js";
import { addError, SOURCES } from "./fixtures.js";

describe("render", () => {
  const diags = [addError()];

  it("knows every format", () => {
    expect([...FORMATS].sort()).toEqual(["github", "human", "json", "sarif"]);
  });

  it("dispatches to the renderer of the format", () => {
    expect(render("human", diags, SOURCES, { color: true })).toBe(renderHuman(diags, SOURCES, { color: true }));
    expect(render("json", diags, SOURCES)).toBe(renderJson(diags, SOURCES));
    expect(render("sarif", diags, SOURCES, { toolVersion: "9.9.9" })).toBe(renderSarif(diags, SOURCES, { toolVersion: "9.9.9" }));
    expect(render("github", diags, SOURCES)).toBe(renderGithub(diags, SOURCES));
  });

  it("defaults to no color", () => {
    expect(render("human", diags, SOURCES)).not.toContain("\x1b");
  });
});

describe("at most MAX_PER_FILE diagnostics per file, in every format", () => {
  // 60 errors in a.seq and 3 in b.seq: a.seq shows 50 and says 10 more are not shown.
  const text = Array.from({ length: 60 }, (_, i) => `x${i} = y${i}`).join("\n");
  const sources = new Map([["a.seq", text], ["b.seq", text]]);
  const at = (file: string, i: number) => {
    const start = text.indexOf(`y${i}`);
    return diagnostic("SEQ0101", `unknown name \`y${i}\``, { file, start, end: start + `y${i}`.length });
  };
  const diags = [...Array.from({ length: 60 }, (_, i) => at("a.seq", i)), ...[0, 1, 2].map((i) => at("b.seq", i))];
  const note = `10 more diagnostics in a.seq not shown (at most ${MAX_PER_FILE} per file)`;

  it("human: the first 50 of a file, then a line with the rest's count; the summary counts all", () => {
    const out = renderHuman(diags, sources, { color: false });
    expect(out.match(/^error\[SEQ0101\]/gm)).toHaveLength(53);
    expect(out).toContain("unknown name `y49`");
    expect(out).not.toContain("unknown name `y50`");
    expect(out).toContain(`... ${note}`);
    // The count comes after a.seq's last shown diagnostic and before b.seq's first.
    expect(out.indexOf(note)).toBeGreaterThan(out.indexOf("`y49`"));
    expect(out.indexOf(note)).toBeLessThan(out.indexOf("--> b.seq"));
    expect(out.trimEnd().split("\n").at(-1)).toBe("63 errors");
  });

  it("json: 50 entries of the file, the rest counted per file and in the summary", () => {
    const doc = JSON.parse(renderJson(diags, sources));
    expect(doc.diagnostics).toHaveLength(53);
    expect(doc.omitted).toEqual([{ file: "a.seq", count: 10 }]);
    expect(doc.summary).toEqual({ errors: 63, warnings: 0, omitted: 10 });
  });

  it("sarif: 50 results of the file and a notification with the rest's count", () => {
    const run = JSON.parse(renderSarif(diags, sources, { toolVersion: "1.0.0" })).runs[0];
    expect(run.results).toHaveLength(53);
    expect(run.invocations).toEqual([
      {
        executionSuccessful: true,
        toolExecutionNotifications: [{ level: "note", message: { text: note }, locations: [{ physicalLocation: { artifactLocation: { uri: "a.seq" } } }] }],
      },
    ]);
  });

  it("github: 50 annotations of the file and a notice with the rest's count", () => {
    const lines = renderGithub(diags, sources).trimEnd().split("\n");
    expect(lines).toHaveLength(54);
    expect(lines.at(-1)).toBe(`::notice file=a.seq,title=seqc::${note}`);
  });

  it("cuts texts that quote something huge", () => {
    const d = diagnostic("SEQ0101", `unknown name \`${"x".repeat(100_000)}\``, { file: "a.seq", start: 0, end: 1 });
    const doc = JSON.parse(renderJson([d], sources));
    expect(doc.diagnostics[0].message.length).toBeLessThanOrEqual(300);
    expect(doc.diagnostics[0].message.endsWith("…")).toBe(true);
    expect(renderHuman([d], sources, { color: false }).length).toBeLessThan(1000);
  });
});
