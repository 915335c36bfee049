/**
 * SARIF 2.1.0, for code-scanning tools. One run; the rules are the whole CODES
 * table, so a result's ruleIndex is its code's position in ALL_CODES.
 */
import { ALL_CODES, CODES, type CodeInfo } from "../codes.js";
import { primaryLabel, type Diagnostic, type Label, type Sources } from "../diagnostic.js";
import { fullMessage, limitPerFile, omittedMessage, type Omitted } from "./common.js";
import { labelRange } from "./lines.js";

export interface SarifOptions {
  /** The seqc version, reported as tool.driver.version. */
  toolVersion: string;
}

/**
 * Renders diagnostics as a SARIF 2.1.0 log, indented by 2 spaces. Past
 * MAX_PER_FILE results in a file, a tool execution notification of the run's
 * invocation says how many more there are.
 */
export function renderSarif(diags: readonly Diagnostic[], sources: Sources, opts: SarifOptions): string {
  const shown = limitPerFile(diags);
  const log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "seqc", version: opts.toolVersion, rules: ALL_CODES.map(rule) } },
        columnKind: "utf16CodeUnits",
        results: shown.diagnostics.map((d) => result(d, sources)),
        ...(shown.omitted.length > 0 && {
          invocations: [{ executionSuccessful: true, toolExecutionNotifications: shown.omitted.map(notification) }],
        }),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function rule(code: (typeof ALL_CODES)[number]) {
  const info: CodeInfo = CODES[code];
  return {
    id: code,
    name: info.title,
    shortDescription: { text: info.title },
    defaultConfiguration: { level: info.severity },
    ...(info.help !== undefined && { help: { text: info.help } }),
  };
}

function result(d: Diagnostic, sources: Sources) {
  const primary = primaryLabel(d);
  const secondaries = d.labels.filter((l) => l !== primary);
  return {
    ruleId: d.code,
    ruleIndex: ALL_CODES.indexOf(d.code),
    level: d.severity,
    message: { text: fullMessage(d) },
    ...(primary && { locations: [location(primary, sources)] }),
    ...(secondaries.length > 0 && { relatedLocations: secondaries.map((l, id) => ({ id, ...location(l, sources) })) }),
  };
}

function notification(o: Omitted) {
  return {
    level: "note",
    message: { text: omittedMessage(o) },
    ...(o.file !== null && { locations: [{ physicalLocation: { artifactLocation: { uri: o.file.replaceAll("\\", "/") } } }] }),
  };
}

function location(l: Label, sources: Sources) {
  const range = labelRange(l, sources);
  const region = range
    ? { startLine: range.line, startColumn: range.column, endLine: range.endLine, endColumn: range.endColumn }
    : { charOffset: l.start, charLength: Math.max(l.end - l.start, 0) };
  return {
    physicalLocation: { artifactLocation: { uri: l.file.replaceAll("\\", "/") }, region },
    ...(l.message !== undefined && { message: { text: l.message } }),
  };
}
