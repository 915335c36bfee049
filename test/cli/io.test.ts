/** src/cli/io.ts in-process: reading specs (one-line errors for people), atomic writes, and glob expansion. */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { expandPaths, readText, specFiles, UserIoError, writeAtomic } from "../../src/cli/io.js";
import { scratch } from "../helpers/cli.js";

const tmp = scratch("seqc-io-");

describe("readText", () => {
  it("reads a file as UTF-8", () => {
    expect(readText(tmp.file("a.seq", "dim T = 3 # é\n"))).toBe("dim T = 3 # é\n");
  });

  it.each([
    ["a missing file", (): string => join(tmp.dir, "missing.seq"), "no such file"],
    ["a directory", (): string => tmp.dir, "it is a directory"],
    // Devices and pipes are refused before they are read (/dev/zero would never end).
    ["a device", (): string => "/dev/zero", "it is not a regular file (a device, a pipe or a socket)"],
    ["a file over 10 MiB", (): string => tmp.file("huge.seq", " ".repeat(10 * 1024 * 1024 + 1)), "it has 10485761 bytes; a spec may have at most 10485760 (10 MiB)"],
  ] as const)("%s is a UserIoError naming the path and why", (_label, path, why) => {
    const p = path();
    expect(() => readText(p)).toThrow(UserIoError);
    expect(() => readText(p)).toThrow(`cannot read ${p}: ${why}`);
  });

  it.skipIf(process.getuid?.() === 0)("an unreadable file: permission denied", () => {
    const p = tmp.file("locked.seq", "x");
    chmodSync(p, 0o000);
    expect(() => readText(p)).toThrow(`cannot read ${p}: permission denied`);
  });
});

describe("specFiles", () => {
  it("the spec's text, a reader for its imports (its failures become diagnostics at the import), and the model asked for (only when asked)", () => {
    const root = tmp.file("root.seq", "import \"lib.seq\"\n");
    const lib = tmp.file("lib.seq", "dim D = 2\n");
    const opts = specFiles(root, "m");
    expect(opts.text).toBe("import \"lib.seq\"\n");
    expect(opts.model).toBe("m");
    expect(opts.readFile(lib)).toBe("dim D = 2\n");
    expect(() => opts.readFile(join(tmp.dir, "nope.seq"))).toThrow(/ENOENT/);
    expect("model" in specFiles(root)).toBe(false);
  });

  it("an unreadable spec is a UserIoError at once", () => {
    expect(() => specFiles(join(tmp.dir, "gone.seq"))).toThrow(UserIoError);
  });
});

describe("writeAtomic", () => {
  it("writes the text and leaves no temporary file", () => {
    const dir = join(tmp.dir, "w");
    mkdirSync(dir);
    writeAtomic(join(dir, "out.txt"), "one");
    writeAtomic(join(dir, "out.txt"), "two");
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe("two");
    expect(readdirSync(dir)).toEqual(["out.txt"]);
  });

  it("a path it cannot write is a UserIoError naming it", () => {
    const file = tmp.file("plain", "x");
    const p = join(file, "under.txt");
    expect(() => writeAtomic(p, "y")).toThrow(UserIoError);
    expect(() => writeAtomic(p, "y")).toThrow(`cannot write ${p}`);
  });
});

describe("expandPaths", () => {
  it("keeps plain paths as given (a missing one is reported when read) and expands globs, sorted", async () => {
    const dir = join(tmp.dir, "g");
    mkdirSync(join(dir, "sub"), { recursive: true });
    for (const f of ["b.seq", "a.seq", "c.txt", "sub/d.seq"]) writeFileSync(join(dir, f), "");
    // (the matches of a glob come relative to the working directory)
    const expanded = await expandPaths([join(dir, "zzz.seq"), `${dir}/*.seq`]);
    expect(expanded[0]).toBe(join(dir, "zzz.seq"));
    expect(expanded.map((p) => resolve(p))).toEqual([join(dir, "zzz.seq"), join(dir, "a.seq"), join(dir, "b.seq")]);
    expect((await expandPaths([`${dir}/**/*.seq`])).map((p) => resolve(p))).toEqual([join(dir, "a.seq"), join(dir, "b.seq"), join(dir, "sub/d.seq")]);
  });

  it("a glob that matches nothing is a UserIoError", async () => {
    await expect(expandPaths([`${tmp.dir}/*.nothing`])).rejects.toThrow(UserIoError);
    await expect(expandPaths([`${tmp.dir}/*.nothing`])).rejects.toThrow(/no files match/);
  });
});
