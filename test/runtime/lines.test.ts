/**
 * Reading a file a chunk at a time (src/runtime/lines.ts): the lines of
 * eachLine, for every chunk size from one byte up, equal those of splitting
 * the whole string, wherever the chunks cut (inside a CRLF, inside a UTF-8
 * character, inside a line longer than a chunk); files are read the same way,
 * and an unreadable one names itself.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IoError } from "../../src/runtime/errors.js";
import { eachChunk, eachLine, type ByteSource } from "../../src/runtime/lines.js";

/** The lines of a text as the whole-string path cuts them: no BOM, split at \r?\n, no empty line after a final newline. */
function splitWhole(text: string): string[] {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = t.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function linesOf(src: ByteSource, chunkSize?: number): string[] {
  const out: string[] = [];
  eachLine(
    src,
    (line, n) => {
      expect(n).toBe(out.length + 1);
      out.push(line);
    },
    chunkSize,
  );
  return out;
}

const TEXTS: Record<string, string> = {
  "CRLF and LF": '{"x":"ab"}\r\n{"x":"c"}\n\r\n{"x":"d"}\r\n',
  "empty lines": "\n\na\n\n\nb\n\n",
  "a last line without newline": "one\ntwo\nthree",
  "a lone CR is kept": "a\rb\nc\r",
  "a BOM": "\ufeffé first\nsecond\n",
  "characters of two, three and four bytes": "aé€😀\n😀😀\n€é\n" + "ü".repeat(9) + "\n",
  "a line longer than every small chunk": "short\n" + "x€".repeat(300) + "\nend",
  "only newlines": "\n\n\n",
  "nothing": "",
};

describe("eachLine", () => {
  for (const [what, text] of Object.entries(TEXTS)) {
    it(`cuts ${what} as splitting the whole string does, for every chunk size`, () => {
      const bytes = new TextEncoder().encode(text);
      const want = splitWhole(text);
      for (const size of [1, 2, 3, 4, 5, 7, 64, 1 << 20]) expect(linesOf({ bytes }, size), `chunks of ${size}`).toEqual(want);
    });
  }

  it("decodes a malformed byte as U+FFFD, as decoding the whole does", () => {
    const bytes = Uint8Array.of(0x61, 0xff, 0x0a, 0xe2, 0x82, 0x0a, 0x62);
    const want = splitWhole(new TextDecoder().decode(bytes));
    expect(want).toEqual(["a\ufffd", "\ufffd", "b"]);
    for (const size of [1, 2, 3, 100]) expect(linesOf({ bytes }, size)).toEqual(want);
  });

  describe("files", () => {
    const dir = mkdtempSync(join(tmpdir(), "seqc-lines-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("reads a file a chunk at a time, with the lines of the whole", () => {
      const text = Array.from({ length: 200 }, (_, i) => `line ${i} ${"é€😀".repeat(i % 7)}`).join("\r\n");
      const path = join(dir, "a.txt");
      writeFileSync(path, "\ufeff" + text);
      for (const size of [1, 13, 4096]) expect(linesOf({ path }, size)).toEqual(splitWhole(text));
      const chunks: number[] = [];
      eachChunk({ path }, (c) => chunks.push(c.length), 1000);
      expect(chunks.slice(0, -1).every((n) => n === 1000)).toBe(true);
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength("\ufeff" + text));
    });

    it("names a file that cannot be read", () => {
      expect(() => linesOf({ path: join(dir, "none.jsonl") })).toThrow(new IoError(`cannot read ${join(dir, "none.jsonl")}: no such file`));
      mkdirSync(join(dir, "folder.jsonl"));
      expect(() => linesOf({ path: join(dir, "folder.jsonl") })).toThrow(new IoError(`cannot read ${join(dir, "folder.jsonl")}: it is a directory`));
    });
  });
});
