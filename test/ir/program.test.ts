/** The standard library's build cache (src/ir/std-cache.ts): used only for the very text it was compiled from. */
import { describe, expect, it } from "vitest";
import { compileStd, type StdFile } from "../../src/ir/program.js";

describe("compileStd", () => {
  const fresh = compileStd();

  it("compiles every file of the standard library without diagnostics", () => {
    expect(fresh.map((f) => f.name)).toEqual(expect.arrayContaining(["conv.seq", "dense.seq", "recurrent.seq"]));
    for (const f of fresh) expect(f.diagnostics, f.name).toEqual([]);
  });

  it("takes a cached file whose text is the text on disk, as it is", () => {
    const cache = new Map(fresh.map((f): [string, StdFile] => [f.name, { ...f }]));
    const again = compileStd(cache);
    again.forEach((f, i) => expect(f).toBe(cache.get(fresh[i]!.name)));
  });

  it("compiles a file whose cached text differs (an edited standard library)", () => {
    const stale = new Map(fresh.map((f): [string, StdFile] => [f.name, { ...f, text: `${f.text}\n# edited`, ir: { version: 1, items: [] } }]));
    const again = compileStd(stale);
    expect(JSON.stringify(again)).toBe(JSON.stringify(fresh));
  });

  it("the IR survives JSON (what the cache stores)", () => {
    expect(JSON.parse(JSON.stringify(fresh))).toStrictEqual(fresh);
  });
});
