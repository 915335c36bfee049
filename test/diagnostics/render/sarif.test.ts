import { describe, expect, it } from "vitest";
import { ALL_CODES, CODES } from "../../../src/diagnostics/codes.js";
import { diagnostic } from "../../../src/diagnostics/diagnostic.js";
import { renderSarif } from "../../../src/diagnostics/render/sarif.js";
import { addError, FILE, outWarning, SOURCES } from "./fixtures.js";

/** A hand-written check of the SARIF fields seqc relies on; returns the problems found. */
function sarifProblems(log: any): string[] {
  const problems: string[] = [];
  if (log.version !== "2.1.0") problems.push("version is not 2.1.0");
  if (typeof log.$schema !== "string") problems.push("no $schema");
  if (!Array.isArray(log.runs) || log.runs.length !== 1) return [...problems, "not exactly one run"];
  const run = log.runs[0];
  const driver = run.tool?.driver;
  if (typeof driver?.name !== "string") problems.push("tool.driver.name missing");
  const rules: any[] = driver?.rules ?? [];
  rules.forEach((rule, i) => {
    if (typeof rule.id !== "string") problems.push(`rule ${i} has no id`);
    if (!["error", "warning", "note", "none"].includes(rule.defaultConfiguration?.level)) problems.push(`rule ${i} has a bad level`);
  });
  if (!Array.isArray(run.results)) return [...problems, "results missing"];
  run.results.forEach((result: any, i: number) => {
    if (typeof result.message?.text !== "string") problems.push(`result ${i} has no message.text`);
    if (rules[result.ruleIndex]?.id !== result.ruleId) problems.push(`result ${i}: ruleIndex does not point at ruleId`);
    if (!["error", "warning", "note", "none"].includes(result.level)) problems.push(`result ${i} has a bad level`);
    for (const location of [...(result.locations ?? []), ...(result.relatedLocations ?? [])]) {
      const physical = location.physicalLocation;
      if (typeof physical?.artifactLocation?.uri !== "string") problems.push(`result ${i}: a location has no uri`);
      const region = physical?.region ?? {};
      const hasLines = Number.isInteger(region.startLine) && region.startLine >= 1;
      const hasChars = Number.isInteger(region.charOffset) && region.charOffset >= 0;
      if (!hasLines && !hasChars) problems.push(`result ${i}: a region has neither startLine nor charOffset`);
    }
  });
  return problems;
}

describe("renderSarif", () => {
  const log = JSON.parse(renderSarif([addError(), outWarning()], SOURCES, { toolVersion: "1.2.3" }));
  const run = log.runs[0];

  it("passes the minimal structural check", () => {
    expect(sarifProblems(log)).toEqual([]);
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
    expect(run.tool.driver).toMatchObject({ name: "seqc", version: "1.2.3" });
  });

  it("lists every code as a rule", () => {
    expect(run.tool.driver.rules.map((r: any) => r.id)).toEqual(ALL_CODES);
    expect(run.tool.driver.rules[ALL_CODES.indexOf("SEQ0301")]).toEqual({
      id: "SEQ0301",
      name: "broadcast-mismatch",
      shortDescription: { text: "broadcast-mismatch" },
      defaultConfiguration: { level: "error" },
      help: { text: CODES.SEQ0301.help },
    });
    expect(run.tool.driver.rules[ALL_CODES.indexOf("SEQ0002")]).not.toHaveProperty("help");
  });

  it("reports each diagnostic with its rule, level, message and region", () => {
    const [error, warning] = run.results;
    expect(error).toMatchObject({ ruleId: "SEQ0301", ruleIndex: ALL_CODES.indexOf("SEQ0301"), level: "error" });
    expect(error.message.text).toBe(`cannot add [4*H] and [3*H]\nwhere H = 128, X = 64\nhelp: ${CODES.SEQ0301.help}`);
    expect(error.locations).toEqual([
      {
        physicalLocation: { artifactLocation: { uri: FILE }, region: { startLine: 7, startColumn: 7, endLine: 7, endColumn: 12 } },
        message: { text: "[4*H] + [3*H]" },
      },
    ]);
    expect(error.relatedLocations).toEqual([
      {
        id: 0,
        physicalLocation: { artifactLocation: { uri: FILE }, region: { startLine: 6, startColumn: 7, endLine: 6, endColumn: 12 } },
        message: { text: "this is [3*H]" },
      },
    ]);
    expect(warning).toMatchObject({ ruleId: "SEQ0403", level: "warning" });
    expect(warning).not.toHaveProperty("relatedLocations");
  });

  it("falls back to character offsets without the source and uses forward slashes", () => {
    const d = diagnostic("SEQ0003", "missing", { file: "specs\\sub\\a.seq", start: 4, end: 10 });
    const [result] = JSON.parse(renderSarif([d], new Map(), { toolVersion: "0" })).runs[0].results;
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: "specs/sub/a.seq" },
      region: { charOffset: 4, charLength: 6 },
    });
  });
});
