/**
 * What the playground shows for a spec's text, from seqc's own code: the
 * diagnostics as `seqc check` prints them (code frames, no color) and located
 * (line, column), the summary tables as `seqc summary` prints them, and each
 * checked model's graph as DOT. Pure: the page and its tests call it alike.
 */
import { renderSummary } from "../../src/check/summary.js";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { render } from "../../src/diagnostics/render/index.js";
import { locateDiagnostic, type JsonDiagnostic } from "../../src/diagnostics/render/json.js";
import { checkSpec } from "../../src/driver.js";
import { buildGraph } from "../../src/graph/build.js";
import { graphDot } from "../../src/graph/dot.js";
import type { StdSources } from "../../src/ir/program.js";

/** The name the typed spec has in diagnostics; it lives in `/`, beside the shipped specs it may import. */
export const SPEC_FILE = "playground.seq";

/** What the page has instead of a disk. */
export interface Files {
  /** The standard library. */
  std: StdSources;
  /** The shipped specs by name (`lstm_peephole.seq`): the picker's, and what `import "NAME.seq"` reads. */
  specs: ReadonlyMap<string, string>;
}

export interface Analysis {
  /** The diagnostics as `seqc check` prints them; "" when there are none. */
  report: string;
  /** Each diagnostic with its code, severity, message and 1-based line and column. */
  diagnostics: JsonDiagnostic[];
  /** The summary table of every model; "" when the spec does not check. */
  summary: string;
  /** Each model's graph as DOT (or why it could not be built); none when the spec does not check. */
  models: { name: string; dot?: string; error?: string }[];
}

/** A spec's diagnostics, summary and graphs. */
export function analyse(text: string, files: Files): Analysis {
  const readFile = (path: string) => {
    const found = path.startsWith("/") ? files.specs.get(path.slice(1)) : undefined;
    if (found === undefined) throw new Error(`no file ${path}`);
    return found;
  };
  const { program, diagnostics, models: all } = checkSpec(SPEC_FILE, { text, std: files.std, cwd: "/", readFile });
  // As `seqc summary` and the targets: a model of a spec with errors has neither summary nor graph.
  const models = hasErrors(diagnostics) ? [] : all;
  return {
    report: render("human", diagnostics, program.sources, { color: false }),
    diagnostics: diagnostics.map((d) => locateDiagnostic(d, program.sources)),
    summary: models.map(renderSummary).join("\n"),
    models: models.map((m) => {
      try {
        return { name: m.name, dot: graphDot(buildGraph(m), m, { sources: program.sources }) };
      } catch (e) {
        return { name: m.name, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  };
}
