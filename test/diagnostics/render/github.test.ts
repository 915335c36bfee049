import { describe, expect, it } from "vitest";
import { CODES } from "../../../src/diagnostics/codes.js";
import { diagnostic } from "../../../src/diagnostics/diagnostic.js";
import { renderGithub } from "../../../src/diagnostics/render/github.js";
import { FILE, outWarning, SOURCES, span } from "./fixtures.js";

describe("renderGithub", () => {
  it("writes one command per diagnostic with the location and code", () => {
    const d = diagnostic("SEQ0002", "unexpected out", span("out z"), { help: "remove it" });
    expect(renderGithub([d, outWarning()], SOURCES)).toBe(
      `::error file=${FILE},line=8,col=3,endLine=8,endColumn=8,title=SEQ0002::unexpected out%0Ahelp: remove it\n` +
        `::warning file=${FILE},line=8,col=3,endLine=8,endColumn=8,title=SEQ0403::suspicious out%0Ahelp: ${CODES.SEQ0403.help}\n`,
    );
  });

  it("escapes %, CR and LF in the message, and also : and , in properties", () => {
    const file = "odd:dir,x/100%.seq";
    const text = "x = 1\n";
    const d = diagnostic("SEQ0101", "100% wrong,\r\nreally: yes", { file, start: 0, end: 1 }, { notes: ["a,b"] });
    expect(renderGithub([d], new Map([[file, text]]))).toBe(
      "::error file=odd%3Adir%2Cx/100%25.seq,line=1,col=1,endLine=1,endColumn=2,title=SEQ0101::100%25 wrong,%0D%0Areally: yes%0Aa,b\n",
    );
  });

  it("gives only lines for a span over several lines, and only the file without the source", () => {
    const multi = diagnostic("SEQ0301", "bad", span("a = W @ x\n  b"));
    const missing = diagnostic("SEQ0003", "gone", { file: "gone.seq", start: 0, end: 1 });
    expect(renderGithub([multi, missing], SOURCES).split("\n")).toEqual([
      `::error file=${FILE},line=5,endLine=6,title=SEQ0301::bad%0Ahelp: ${CODES.SEQ0301.help}`,
      `::error file=gone.seq,title=SEQ0003::gone%0Ahelp: ${CODES.SEQ0003.help}`,
      "",
    ]);
  });

  it("writes nothing without diagnostics", () => {
    expect(renderGithub([], SOURCES)).toBe("");
  });
});
