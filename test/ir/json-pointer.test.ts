/** src/ir/json-pointer.ts: RFC 6901 pointers as ajv reports them. */
import { describe, expect, it } from "vitest";
import { depth, isUnder, segments } from "../../src/ir/json-pointer.js";

describe("JSON pointers", () => {
  it("segments decode ~1 to / and ~0 to ~ (in that order: ~01 is ~1)", () => {
    expect(segments("")).toEqual([]);
    expect(segments("/items/0/body")).toEqual(["items", "0", "body"]);
    expect(segments("/a~1b/c~0d/~01")).toEqual(["a/b", "c~d", "~1"]);
    expect(segments("/")).toEqual([""]);
  });

  it("depth counts segments", () => {
    expect(depth("")).toBe(0);
    expect(depth("/items")).toBe(1);
    expect(depth("/items/0/body/2")).toBe(4);
  });

  it("isUnder: the pointer itself or below it, not a sibling with the same prefix", () => {
    expect(isUnder("/items/1", "/items/1")).toBe(true);
    expect(isUnder("/items/1/body", "/items/1")).toBe(true);
    expect(isUnder("/items/10", "/items/1")).toBe(false);
    expect(isUnder("/items", "/items/1")).toBe(false);
    expect(isUnder("/anything", "")).toBe(true);
  });
});
