/**
 * src/ir/program.ts: a root file, what it imports (transitively, once each),
 * and the standard library; display names relative to the working directory;
 * a missing import and an import cycle are diagnostics at the import; the
 * standard library's build cache is used only for the very text it was
 * compiled from; its sources can be given instead of read.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileStd, compileText, loadProgram, loadStd, type StdFile } from "../../src/ir/program.js";

/** Load options over virtual files under /p (cwd /p). */
function files(fs: Record<string, string>) {
  const reads: string[] = [];
  return {
    reads,
    opts: {
      cwd: "/p",
      readFile: (path: string) => {
        reads.push(path);
        const name = path.replace(/^\/p\//, "");
        if (!(name in fs)) throw new Error(`no ${path}`);
        return fs[name]!;
      },
    },
  };
}

describe("loadProgram", () => {
  it("the root, its imports (each read once, however often imported) and the standard library", () => {
    const { reads, opts } = files({
      "main.seq": 'import "lib/a.seq"\nimport "lib/b.seq"\n',
      "lib/a.seq": 'import "b.seq"\ndim A = 2\n',
      "lib/b.seq": "dim B = 3\n",
    });
    const p = loadProgram("main.seq", opts);
    expect(p.diagnostics).toEqual([]);
    expect(p.root.file).toBe("main.seq");
    expect(p.root.imports).toEqual(["lib/a.seq", "lib/b.seq"]);
    expect(p.modules.filter((m) => !m.std).map((m) => m.file)).toEqual(["main.seq", "lib/a.seq", "lib/b.seq"]);
    expect(reads.filter((r) => r.endsWith("b.seq"))).toHaveLength(1);
    expect(p.modules.filter((m) => m.std).map((m) => m.file)).toEqual(loadStd().modules.map((m) => m.file));
    expect([...p.sources.keys()]).toEqual(expect.arrayContaining(["main.seq", "lib/a.seq", "lib/b.seq", "std/recurrent.seq"]));
  });

  it("the root's text can be given (the path still resolves imports)", () => {
    const { reads, opts } = files({ "dep.seq": "dim D = 1\n" });
    const p = loadProgram("given.seq", { ...opts, text: 'import "dep.seq"\n' });
    expect(p.diagnostics).toEqual([]);
    expect(reads).toEqual(["/p/dep.seq"]);
  });

  it("a missing import: SEQ0003 at the import, naming the path as written and as resolved", () => {
    const { opts } = files({ "main.seq": 'dim A = 1\nimport "nope.seq"\n' });
    const p = loadProgram("main.seq", opts);
    expect(p.diagnostics.map((d) => [d.code, d.labels[0]!.file, d.labels[0]!.start])).toEqual([["SEQ0003", "main.seq", 10]]);
    expect(p.diagnostics[0]!.message).toBe('cannot read the imported file "nope.seq" (nope.seq)');
  });

  it("an import cycle: SEQ0004 at the import that closes it, with the whole cycle", () => {
    const { opts } = files({ "a.seq": 'import "b.seq"\n', "b.seq": 'import "c.seq"\n', "c.seq": 'import "a.seq"\n' });
    const p = loadProgram("a.seq", opts);
    expect(p.diagnostics.map((d) => [d.code, d.labels[0]!.file, d.message])).toEqual([["SEQ0004", "c.seq", "import cycle: a.seq -> b.seq -> c.seq -> a.seq"]]);
    const self = loadProgram("s.seq", { ...files({}).opts, text: 'import "s.seq"\n' });
    expect(self.diagnostics.map((d) => d.code)).toEqual(["SEQ0004"]);
  });

  it("an import of a file that is not a spec is refused unread: its text never reaches a message", () => {
    const { reads, opts } = files({ "main.seq": 'import "/etc/passwd"\nimport "../../proc/self/environ"\n' });
    const p = loadProgram("main.seq", opts);
    expect(reads).toEqual(["/p/main.seq"]);
    expect(p.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["SEQ0003", 'cannot import "/etc/passwd": an import names a spec, a file ending in .seq (the file was not read)'],
      ["SEQ0003", 'cannot import "../../proc/self/environ": an import names a spec, a file ending in .seq (the file was not read)'],
    ]);
  });

  it("imports read from disk: a device, a pipe or a directory named *.seq is refused unread, saying why", () => {
    const dir = mkdtempSync(join(tmpdir(), "seqc-program-"));
    try {
      mkdirSync(join(dir, "dir.seq"));
      symlinkSync("/dev/zero", join(dir, "zero.seq"));
      const main = join(dir, "main.seq");
      writeFileSync(main, 'import "dir.seq"\nimport "zero.seq"\n');
      const p = loadProgram(main);
      expect(p.diagnostics.map((d) => d.message.replace(/ \(.*?\)/, " (PATH)"))).toEqual([
        'cannot read the imported file "dir.seq" (PATH): it is a directory',
        'cannot read the imported file "zero.seq" (PATH): it is not a regular file (a device, a pipe or a socket)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a UTF-8 byte-order mark before the spec is not part of it", () => {
    const p = loadProgram("bom.seq", { ...files({}).opts, text: "\uFEFFdim A = 2\nmodel m {\n  input x: [A]\n  target y: [A]\n  loss mse(x, y)\n}\n" });
    expect(p.diagnostics).toEqual([]);
    expect(p.sources.get("bom.seq")!.startsWith("dim A")).toBe(true);
  });

  it("a file outside the working directory keeps a relative name", () => {
    const p = loadProgram("/elsewhere/x.seq", { cwd: "/p", text: "dim X = 1\n", readFile: () => "" });
    expect(p.root.file).toBe("../elsewhere/x.seq");
  });
});

describe("compileText and loadStd", () => {
  it("compileText: syntax errors stop before the schema; a clean text lowers to IR", () => {
    expect(compileText("a.seq", "dim A = \n").diagnostics.map((d) => d.code)).toEqual(["SEQ0002"]);
    const ok = compileText("a.seq", "dim A = 4\n");
    expect(ok.diagnostics).toEqual([]);
    expect(ok.ir.items.map((i) => i.kind)).toEqual(["dim"]);
  });

  it("loadStd: every file of src/std, clean, loaded once per process", () => {
    const std = loadStd();
    expect(std.diagnostics).toEqual([]);
    expect(std.modules.map((m) => m.file)).toEqual(["std/conv.seq", "std/dense.seq", "std/recurrent.seq"]);
    expect(std.modules.every((m) => m.std)).toBe(true);
    expect(loadStd()).toBe(std);
  });

  it("loadStd and loadProgram take the standard library's sources when given (no disk: the playground's), once per object", () => {
    const given = { dir: "/std", files: [{ name: "tiny.seq", text: "fn twice(x: [N]) {\n  out x + x\n}\n" }] };
    const std = loadStd(given);
    expect(std.modules.map((m) => [m.file, m.path, m.std])).toEqual([["std/tiny.seq", "/std/tiny.seq", true]]);
    expect(loadStd(given)).toBe(std);
    const { opts } = files({});
    const p = loadProgram("main.seq", { ...opts, std: given, text: "dim D = 2\n" });
    expect(p.diagnostics).toEqual([]);
    expect(p.modules.filter((m) => m.std).map((m) => m.file)).toEqual(["std/tiny.seq"]);
    expect(p.sources.get("std/tiny.seq")).toBe(given.files[0]!.text);
  });
});

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
