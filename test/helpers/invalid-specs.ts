/**
 * The invalid specs of specs/invalid/: their paths, the names diagnostics
 * give them, and the diagnostics each must produce, read from its opening
 * `# expect: SEQ0305 at line 7` lines, each maybe followed by the help the
 * diagnostic must give where the fix is mechanical:
 *
 *   # help: declare the length as `dim T multiple of 2`
 *
 * (test/specs/invalid.test.ts checks them in-process,
 * test/cli/commands/check.test.ts through the CLI).
 */
import { readdirSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { CODES, type Code } from "../../src/diagnostics/codes.js";

export const DIR = "specs/invalid";

/** Spec paths relative to the repository root, sorted. */
export const FILES: string[] = readdirSync(DIR)
  .filter((n) => n.endsWith(".seq"))
  .sort()
  .map((n) => `${DIR}/${n}`);

/** The name diagnostics use for a file (loadProgram: relative to the working directory). */
export function displayName(path: string): string {
  return relative(process.cwd(), resolve(path));
}

export interface Expectation {
  code: Code;
  line: number;
  /** The help the diagnostic gives, when stated. */
  help?: string;
}

const EXPECT_LINE = /^# expect: (SEQ\d{4}) at line (\d+)\s*$/;
const HELP_LINE = /^# help: (.+)$/;

/** The `# expect:` lines (each maybe with a `# help:` line) that open a spec. Anything that looks like one but does not parse is an error. */
export function expectations(path: string): Expectation[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Expectation[] = [];
  for (const line of lines) {
    if (line.startsWith("# help")) {
      const h = HELP_LINE.exec(line);
      const last = out[out.length - 1];
      if (!h || !last || last.help !== undefined) throw new Error(`${path}: a \`# help: TEXT\` line follows its \`# expect:\` line, once (${JSON.stringify(line)})`);
      last.help = h[1]!;
      continue;
    }
    if (!line.startsWith("# expect")) break;
    const m = EXPECT_LINE.exec(line);
    if (!m) throw new Error(`${path}: malformed expectation ${JSON.stringify(line)} (write \`# expect: SEQ0305 at line 6\`)`);
    const code = m[1]!;
    if (!Object.hasOwn(CODES, code)) throw new Error(`${path}: ${code} is not a diagnostic code`);
    out.push({ code: code as Code, line: Number(m[2]) });
  }
  return out;
}
