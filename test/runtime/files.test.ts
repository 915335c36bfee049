/**
 * Atomic writes (src/runtime/files.ts): writeAtomic creates or replaces a
 * file through a temporary name, leaves no temporary file behind, and a
 * failure is an IoError naming the file that leaves what was there intact.
 * A symbolic link is followed (its file replaced, the link kept); a FIFO or a
 * device is written into, never replaced by a file.
 */
import { execFileSync, spawn } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IoError } from "../../src/runtime/errors.js";
import { writeAllAtomic, writeAtomic, writeTarget } from "../../src/runtime/files.js";

const root = mkdtempSync(join(tmpdir(), "seqc-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
/** A new empty folder under the temporary root. */
const folder = () => {
  const d = join(root, `d${dirs++}`);
  mkdirSync(d);
  return d;
};

/** A name near the usual 255-byte limit of a file name. */
const LONG = `${"m".repeat(245)}.json`;

describe("writeAtomic", () => {
  it("writes a new file and replaces an existing one, text or bytes, leaving only that file", () => {
    const d = folder();
    const p = join(d, "model.json");
    writeAtomic(p, "first");
    expect(readFileSync(p, "utf8")).toBe("first");
    writeAtomic(p, "second, longer than the first");
    expect(readFileSync(p, "utf8")).toBe("second, longer than the first");
    writeAtomic(p, Uint8Array.of(0, 255, 10));
    expect([...readFileSync(p)]).toEqual([0, 255, 10]);
    expect(readdirSync(d)).toEqual(["model.json"]);
  });

  it("a missing folder is an IoError naming the file", () => {
    const d = folder();
    const p = join(d, "no", "model.json");
    expect(() => writeAtomic(p, "x")).toThrow(IoError);
    expect(() => writeAtomic(p, "x")).toThrow(`cannot write ${p}: no such folder`);
    expect(readdirSync(d)).toEqual([]);
  });

  it("a directory where the file should be is an IoError naming it; the directory keeps its contents", () => {
    const d = folder();
    const p = join(d, "model.json");
    mkdirSync(p);
    writeFileSync(join(p, "inside"), "kept");
    expect(() => writeAtomic(p, "x")).toThrow(IoError);
    expect(() => writeAtomic(p, "x")).toThrow(`cannot write ${p}: `);
    expect(statSync(p).isDirectory()).toBe(true);
    expect(readFileSync(join(p, "inside"), "utf8")).toBe("kept");
    expect(readdirSync(d)).toEqual(["model.json"]);
  });

  it("a file where a folder should be: an IoError naming the file, in words; the file there is left intact", () => {
    const d = folder();
    writeFileSync(join(d, "data"), "keep");
    const p = join(d, "data", "model.json");
    expect(() => writeAtomic(p, "x")).toThrow(IoError);
    expect(() => writeAtomic(p, "x")).toThrow(`cannot write ${p}: a folder on its path is a file`);
    expect(readFileSync(join(d, "data"), "utf8")).toBe("keep");
    expect(readdirSync(d)).toEqual(["data"]);
  });

  it("any name the folder can hold can be written (the temporary name is short)", () => {
    const d = folder();
    writeFileSync(join(d, LONG), "old");
    writeAtomic(join(d, LONG), "new");
    expect(readFileSync(join(d, LONG), "utf8")).toBe("new");
    expect(readdirSync(d)).toEqual([LONG]);
    const tooLong = join(d, `${LONG}xxxxxxxxxx`);
    expect(() => writeAtomic(tooLong, "x")).toThrow(IoError);
    expect(() => writeAtomic(tooLong, "x")).toThrow(`cannot write ${tooLong}: `);
    expect(readdirSync(d)).toEqual([LONG]);
  });
});

describe("writeAtomic: what is at the path", () => {
  it("a symbolic link is followed: the file it points to is replaced, the link stays (a dangling one gets its file)", () => {
    const d = folder();
    mkdirSync(join(d, "real"));
    writeFileSync(join(d, "real", "real.svg"), "old");
    symlinkSync(join("real", "real.svg"), join(d, "link.svg"));
    writeAtomic(join(d, "link.svg"), "new");
    expect(lstatSync(join(d, "link.svg")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(d, "link.svg"))).toBe(join("real", "real.svg"));
    expect(readFileSync(join(d, "real", "real.svg"), "utf8")).toBe("new");
    // The temporary file was in the target's folder, and is gone.
    expect(readdirSync(join(d, "real"))).toEqual(["real.svg"]);
    symlinkSync("later.svg", join(d, "dangling.svg"));
    writeAtomic(join(d, "dangling.svg"), "made");
    expect(lstatSync(join(d, "dangling.svg")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, "later.svg"), "utf8")).toBe("made");
  });

  it("a FIFO is written into: its reader gets the data, and it stays a FIFO", async () => {
    const d = folder();
    const fifo = join(d, "pipe.svg");
    execFileSync("mkfifo", [fifo]);
    // Checked before writing: were the FIFO replaced, its reader would wait for ever.
    expect(writeTarget(fifo)).toEqual({ path: fifo, through: true });
    const reader = spawn("cat", [fifo]);
    let got = "";
    reader.stdout.on("data", (b: Buffer) => (got += b.toString()));
    const done = new Promise((resolve) => reader.on("close", resolve));
    writeAtomic(fifo, "through the pipe");
    await done;
    expect(got).toBe("through the pipe");
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(d)).toEqual(["pipe.svg"]);
  });

  it("a device is written into; a full one (/dev/full) is an IoError in words, and it stays a device", () => {
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
    // Checked before writing: were it replaced, the test (run as root) would turn the device into a file.
    expect(writeTarget("/dev/full")).toEqual({ path: "/dev/full", through: true });
    expect(() => writeAtomic("/dev/full", "x")).toThrow(new IoError("cannot write /dev/full: the disk is full"));
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });
});

describe("writeAllAtomic", () => {
  it("writes every file, leaving nothing else", () => {
    const d = folder();
    writeFileSync(join(d, "a.ts"), "old a");
    writeAllAtomic(d, { "a.ts": "new a", "b.ts": "new b", "c.bin": Uint8Array.of(1, 2) });
    expect(readdirSync(d).sort()).toEqual(["a.ts", "b.ts", "c.bin"]);
    expect(readFileSync(join(d, "a.ts"), "utf8")).toBe("new a");
  });

  it("a file that cannot be written (here: its .next is a folder) leaves the folder as it was", () => {
    const d = folder();
    writeFileSync(join(d, "a.ts"), "old a");
    mkdirSync(join(d, "c.ts.next"));
    expect(() => writeAllAtomic(d, { "a.ts": "new a", "b.ts": "new b", "c.ts": "new c" })).toThrow(IoError);
    expect(readdirSync(d).sort()).toEqual(["a.ts", "c.ts.next"]);
    expect(readFileSync(join(d, "a.ts"), "utf8")).toBe("old a");
  });
});
