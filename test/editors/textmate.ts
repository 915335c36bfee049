/**
 * The .seq TextMate grammar (editors/vscode/syntaxes/seq.tmLanguage.json) loaded
 * into vscode-textmate with the vscode-oniguruma regex engine, as VS Code and
 * vscode-tmgrammar-test load it (that tool's src/common/index.ts: the raw grammar
 * parsed by `parseRawGrammar`, onig.wasm read from beside vscode-oniguruma's
 * entry). Both packages are UMD bundles, so they are imported whole.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import oniguruma from "vscode-oniguruma";
import textmate from "vscode-textmate";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const EXTENSION_DIR = join(ROOT, "editors/vscode");
export const GRAMMAR_PATH = join(EXTENSION_DIR, "syntaxes/seq.tmLanguage.json");
export const SCOPE = "source.seq";

/** One token of one line: its columns and its scopes, outermost (`source.seq`) first. */
export interface TmToken {
  line: number;
  start: number;
  end: number;
  scopes: string[];
}

async function loadGrammar(): Promise<textmate.IGrammar> {
  const wasmPath = join(dirname(createRequire(import.meta.url).resolve("vscode-oniguruma")), "onig.wasm");
  const wasm = readFileSync(wasmPath);
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) => (scopeName === SCOPE ? textmate.parseRawGrammar(readFileSync(GRAMMAR_PATH, "utf8"), GRAMMAR_PATH) : null),
  });
  const grammar = await registry.loadGrammar(SCOPE);
  if (!grammar) throw new Error(`${GRAMMAR_PATH} does not define ${SCOPE}`);
  return grammar;
}

let loaded: Promise<textmate.IGrammar> | undefined;

/** The grammar, loaded once per test file (oniguruma's WASM may be loaded only once per process). */
export function grammar(): Promise<textmate.IGrammar> {
  loaded ??= loadGrammar();
  return loaded;
}

/** Tokenises a whole text line by line, carrying the rule stack across lines as an editor does. */
export async function tokenize(text: string): Promise<TmToken[]> {
  const g = await grammar();
  const tokens: TmToken[] = [];
  let stack = textmate.INITIAL;
  text.split(/\r\n|\n|\r/).forEach((lineText, line) => {
    const r = g.tokenizeLine(lineText, stack);
    stack = r.ruleStack;
    for (const t of r.tokens) tokens.push({ line, start: t.startIndex, end: Math.min(t.endIndex, lineText.length), scopes: t.scopes });
  });
  return tokens;
}
