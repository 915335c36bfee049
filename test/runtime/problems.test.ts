/**
 * Problems in a data file (src/runtime/problems.ts): one issue's line, the
 * DataError's summary and its problem lines, Issues collecting them in line
 * order up to a limit and counting the rest, and how values are described.
 */
import { describe as group, expect, it } from "vitest";
import { DataError, describe, formatIssue, Issues } from "../../src/runtime/problems.js";
import { problemLines } from "../helpers/data.js";

group("formatIssue", () => {
  it("puts the line and the field before the message", () => {
    expect(formatIssue({ line: 7, field: "y", message: "expected 5 numbers at y[2], found 4" })).toBe("line 7: field y: expected 5 numbers at y[2], found 4");
    expect(formatIssue({ line: 3, message: "expected a JSON object" })).toBe("line 3: expected a JSON object");
    expect(formatIssue({ field: "x", message: "x has length 3, expected 4" })).toBe("field x: x has length 3, expected 4");
    expect(formatIssue({ message: "no examples" })).toBe("no examples");
  });

  it("does not name the field twice", () => {
    expect(formatIssue({ line: 2, field: "y", message: "missing field y (target: [T] of chars)" })).toBe("line 2: missing field y (target: [T] of chars)");
  });
});

group("DataError", () => {
  it("sums up the problems, then lists one per line", () => {
    const e = new DataError("d.jsonl", [{ line: 2, field: "y", message: "bad" }]);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("DataError");
    expect(e.message).toBe("d.jsonl: 1 problem in the data\n  line 2: field y: bad");
  });

  it("names the model and says when only the first problems are shown", () => {
    const e = new DataError("d.jsonl", [{ message: "a" }, { line: 4, message: "b" }], 3, "lm");
    expect(e.message).toBe("d.jsonl: 5 problems in the data for model lm (the first 2 shown)\n  a\n  line 4: b");
    expect(e.more).toBe(3);
    expect(e.file).toBe("d.jsonl");
  });
});

group("Issues", () => {
  it("keeps problems in line order, whole-file ones first, ties in the order found", () => {
    const issues = new Issues("d.jsonl", "lm", 10);
    issues.add({ line: 5, message: "e" }, { line: 3, message: "c1" });
    issues.add({ message: "file" }, { line: 3, message: "c2" }, { line: 4, message: "d" });
    expect(issues.list.map((i) => i.message)).toEqual(["file", "c1", "c2", "d", "e"]);
    expect(issues.count).toBe(5);
  });

  it("keeps only the first `max` by line, counting the rest", () => {
    const issues = new Issues("d.jsonl", "lm", 2);
    issues.add({ line: 9, message: "i" }, { line: 5, message: "e" });
    issues.add({ line: 7, message: "g" }); // pushes out line 9
    issues.add({ line: 8, message: "h" }); // after the first two: only counted
    expect(issues.list.map((i) => i.line)).toEqual([5, 7]);
    expect(issues.more).toBe(2);
    expect(issues.count).toBe(4);
    expect(() => issues.throwIfAny()).toThrow("d.jsonl: 4 problems in the data for model lm (the first 2 shown)");
    expect(problemLines(() => issues.throwIfAny())).toEqual(["line 5: e", "line 7: g"]);
  });

  it("throws nothing without problems; fail adds one and throws them all", () => {
    const issues = new Issues("d.csv", "m", 5);
    expect(() => issues.throwIfAny()).not.toThrow();
    issues.add({ line: 2, message: "late" });
    let thrown: unknown;
    try {
      issues.fail({ message: "no header" });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DataError);
    expect((thrown as DataError).issues.map((i) => i.message)).toEqual(["no header", "late"]);
    expect((thrown as DataError).message.split("\n")[0]).toBe("d.csv: 2 problems in the data for model m");
  });
});

group("describe", () => {
  it("describes JSON values as seqc's messages do", () => {
    expect(describe(null)).toBe("null");
    expect(describe([])).toBe("an empty array");
    expect(describe([1])).toBe("an array of 1 item");
    expect(describe([1, [2, 3]])).toBe("an array of 2 items");
    expect(describe("")).toBe("an empty string");
    expect(describe('a"b')).toBe('the string "a\\"b"');
    expect(describe(3.5)).toBe("the number 3.5");
    expect(describe(Infinity)).toBe("a number too large to represent");
    expect(describe(false)).toBe("false");
    expect(describe({ a: 1 })).toBe("an object");
    expect(describe(undefined)).toBe("undefined");
  });

  it("shortens strings longer than 40 characters to 37 and an ellipsis", () => {
    const forty = "x".repeat(40);
    expect(describe(forty)).toBe(`the string "${forty}"`);
    expect(describe(`${"abc".repeat(13)}zz`)).toBe(`the string "${"abc".repeat(12)}a..."`);
  });
});
