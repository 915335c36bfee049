/** src/diagnostics/codes.ts: the code table is well formed and its groups are as documented. */
import { describe, expect, it } from "vitest";
import { ALL_CODES, CODES } from "../../src/diagnostics/codes.js";

describe("CODES", () => {
  it("codes are SEQ and four digits, in increasing order, in the documented groups (00xx .. 05xx)", () => {
    expect(ALL_CODES.length).toBeGreaterThan(40);
    for (const c of ALL_CODES) expect(c).toMatch(/^SEQ0[0-5]\d{2}$/);
    expect([...ALL_CODES].sort()).toEqual(ALL_CODES);
  });

  it("every code has a severity and a unique kebab-case title (the SARIF rule name); help, when given, is a sentence fragment", () => {
    const titles = ALL_CODES.map((c) => CODES[c].title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const c of ALL_CODES) {
      const info = CODES[c] as { severity: string; title: string; help?: string };
      expect(["error", "warning"], c).toContain(info.severity);
      expect(info.title, c).toMatch(/^[a-z]+(-[a-z0-9]+)*$/);
      if (info.help !== undefined) {
        expect(info.help.length, c).toBeGreaterThan(10);
        expect(info.help, c).not.toMatch(/\.$/);
      }
    }
  });
});
