/**
 * `seqc lsp --stdio` as an editor drives it: the built CLI started as a child
 * process, spoken to with vscode-jsonrpc. It opens a spec with a mistake, gets
 * the diagnostic, fixes it with an incremental change, gets none, then asks
 * for hovers, definitions (into an import and the standard library),
 * completions and the outline, and shuts the server down.
 *
 * The exchange is written to docs/lsp-transcript.md. It is deterministic (the
 * repository's path is written as file:///seqc, every step waits for the
 * server's answer before the next, and no timing goes in), so a run rewrites
 * the file unchanged unless the server's answers changed; a failed run writes
 * nothing.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { CompletionItem, DocumentSymbol, Hover, InitializeResult, Location, PublishDiagnosticsParams } from "vscode-languageserver";
import { TRAIN_SETTINGS } from "../../src/check/rules/train-settings.js";
import { ROOT } from "../helpers/cli.js";
import { LspClient, type Exchanged } from "./client.js";

const FIXTURES = join(ROOT, "test/lsp/fixtures");
const LM = pathToFileURL(join(FIXTURES, "lm.seq")).href;
const LIB = pathToFileURL(join(FIXTURES, "lib.seq")).href;
const LM_TEXT = readFileSync(join(FIXTURES, "lm.seq"), "utf8");
const LIB_TEXT = readFileSync(join(FIXTURES, "lib.seq"), "utf8");

/** The 0-based position of the `nth` character of the first `needle` in a text (after `after`, when given). */
function at(text: string, needle: string, nth = 0, after?: string): { line: number; character: number } {
  const from = after === undefined ? 0 : text.indexOf(after);
  const offset = text.indexOf(needle, from) + nth;
  if (offset < nth || from < 0) throw new Error(`no ${needle} in the text`);
  const before = text.slice(0, offset);
  return { line: before.split("\n").length - 1, character: offset - before.lastIndexOf("\n") - 1 };
}

function hoverText(h: Hover | null): string {
  const c = h?.contents;
  return c && typeof c === "object" && "value" in c ? c.value : "";
}

const diagnosticsOf = (uri: string, version?: number) => (p: PublishDiagnosticsParams) => p.uri === uri && (version === undefined || p.version === version);

let client: LspClient | undefined;
afterEach(() => client?.kill());

describe("seqc lsp --stdio", () => {
  it("diagnostics on open and change, hover, definition, completion, outline, shutdown", { timeout: 180_000 }, async () => {
    const lsp = (client = LspClient.start());
    const timings: Record<string, number> = {};
    const time = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const out = await run();
      timings[what] = Math.round(performance.now() - t0);
      return out;
    };

    const init = await time("initialize", () => lsp.request<InitializeResult>("initialize", { processId: null, rootUri: pathToFileURL(ROOT).href, capabilities: {} }));
    expect(init.serverInfo?.name).toBe("seqc");
    expect(init.capabilities).toMatchObject({ hoverProvider: true, definitionProvider: true, documentSymbolProvider: true, completionProvider: {} });
    await lsp.notify("initialized", {});

    // Open: published at once, with the checker's code, range and secondary labels.
    const opened = lsp.next<PublishDiagnosticsParams>("textDocument/publishDiagnostics", diagnosticsOf(LM, 1));
    await lsp.notify("textDocument/didOpen", { textDocument: { uri: LM, languageId: "seq", version: 1, text: LM_TEXT } });
    const first = await time("didOpen -> diagnostics", () => opened);
    expect(first.diagnostics).toHaveLength(1);
    const [d] = first.diagnostics;
    expect(d).toMatchObject({ code: "SEQ0308", severity: 1, source: "seqc" });
    expect(d!.message).toContain("cross_entropy cannot compare [T, 32] with [T] of chars");
    const loss = at(LM_TEXT, "cross_entropy(p, y)");
    expect(d!.range).toEqual({ start: loss, end: { line: loss.line, character: loss.character + "cross_entropy(p, y)".length } });
    expect(d!.relatedInformation?.map((r) => r.message)).toEqual(["[T, 32]", "[T] of chars"]);
    expect(d!.relatedInformation?.[0]?.location).toEqual({ uri: LM, range: { start: at(LM_TEXT, "p, y)"), end: at(LM_TEXT, "p, y)", 1) } });

    // Change (incremental): `cross_entropy(p, y)` -> `cross_entropy(logits, y)`; published after the debounce, empty.
    const fixed = lsp.next<PublishDiagnosticsParams>("textDocument/publishDiagnostics", diagnosticsOf(LM, 2));
    const p = at(LM_TEXT, "p, y)");
    await lsp.notify("textDocument/didChange", {
      textDocument: { uri: LM, version: 2 },
      contentChanges: [{ range: { start: p, end: { line: p.line, character: p.character + 1 } }, text: "logits" }],
    });
    expect((await time("didChange -> diagnostics (200 ms debounce)", () => fixed)).diagnostics).toEqual([]);
    const text = LM_TEXT.replace("cross_entropy(p, y)", "cross_entropy(logits, y)");

    // Hover: a value's shape with its dims and the params it creates; a definition's signature; a dim's binding.
    const hoverAt = (pos: { line: number; character: number }, uri = LM) => time(`hover ${uri === LM ? "lm" : "lib"}:${pos.line}:${pos.character}`, () => lsp.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position: pos }));
    const h = hoverText(await hoverAt(at(text, "h = lstm")));
    expect(h).toContain("h: [T, H]");
    expect(h).toContain("where H = 64");
    expect(h).toContain("params created here: `4*H*H + 4*H*V + 4*H`");
    expect(hoverText(await hoverAt(at(text, "p = project")))).toContain("p: [T, 32]");
    expect(hoverText(await hoverAt(at(text, "lstm<H>")))).toContain("cell lstm<H>(x: [X]) -> [H]");
    expect(hoverText(await hoverAt(at(text, "H>(one_hot")))).toContain("dim of model lm");

    // Definition: a value in the document, a fn in the import, a cell of the standard library.
    const definitionAt = (pos: { line: number; character: number }) => time(`definition lm:${pos.line}:${pos.character}`, () => lsp.request<Location | null>("textDocument/definition", { textDocument: { uri: LM }, position: pos }));
    expect(await definitionAt(at(text, "x))"))).toEqual({ uri: LM, range: { start: at(text, "x: [T]"), end: at(text, "x: [T]", 1) } });
    expect(await definitionAt(at(text, "project<32>"))).toEqual({ uri: LIB, range: { start: at(LIB_TEXT, "project<N>"), end: at(LIB_TEXT, "project<N>", "project".length) } });
    const std = await definitionAt(at(text, "lstm<H>", 2));
    expect(std?.uri).toBe(pathToFileURL(join(ROOT, "src/std/recurrent.seq")).href);
    const recurrent = readFileSync(join(ROOT, "src/std/recurrent.seq"), "utf8");
    expect(std?.range.start).toEqual(at(recurrent, "lstm<H>(x: [X])"));

    // Completion: names in scope with cells and fns (the user's and the standard library's); the train block's keys.
    const completeAt = (pos: { line: number; character: number }) => time(`completion lm:${pos.line}:${pos.character}`, () => lsp.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri: LM }, position: pos }));
    const names = (await completeAt(at(text, "logits = dense"))).map((i) => i.label);
    expect(names).toEqual(expect.arrayContaining(["h", "p", "x", "T", "H", "V", "chars", "lstm", "dense", "project", "softmax"]));
    expect(names).not.toContain("logits");
    const train = (await completeAt(at(text, "optimizer:"))).map((i) => i.label);
    expect(train).toEqual(expect.arrayContaining([...Object.keys(TRAIN_SETTINGS), "adam", "sgd"]));

    // Outline.
    const symbols = await time("documentSymbol", () => lsp.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: LM } }));
    expect(symbols.map((s) => s.name)).toEqual(["lm"]);
    expect(symbols[0]?.children?.map((s) => `${s.name}${s.detail ? ` ${s.detail}` : ""}`)).toEqual([
      "chars [V]", "V", "T", "H = 64", "x [T] of chars", "y [T] of chars", "h [T, H]", "p [T, 32]", "logits [T, V]",
    ]);

    // The import opened too: a param's shape and count in the fn's own dims. Opening it re-checks lm (which reads it from the editor now).
    const libOpened = lsp.next<PublishDiagnosticsParams>("textDocument/publishDiagnostics", diagnosticsOf(LIB, 1));
    const lmRechecked = lsp.next<PublishDiagnosticsParams>("textDocument/publishDiagnostics", diagnosticsOf(LM, 2));
    await lsp.notify("textDocument/didOpen", { textDocument: { uri: LIB, languageId: "seq", version: 1, text: LIB_TEXT } });
    expect((await libOpened).diagnostics).toEqual([]);
    expect((await lmRechecked).diagnostics).toEqual([]);
    const w = hoverText(await hoverAt(at(LIB_TEXT, "W: [N, D]"), LIB));
    expect(w).toContain("param W: [N, D] = glorot");
    expect(w).toContain("count: `D*N`");

    expect(await time("shutdown + exit", () => lsp.stop())).toBe(0);
    expect(lsp.errors).toBe("");
    writeFileSync(join(ROOT, "docs/lsp-transcript.md"), transcript(lsp.transcript));
    console.info(`seqc lsp timings (ms): ${JSON.stringify(timings)}`);
  });
});

const ROOT_URI = pathToFileURL(ROOT).href;

/** Long lists are cut in the transcript (completions, outlines): the first few items, then how many more. */
function shorten(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    const keep = depth === 0 ? 8 : 6;
    const items = value.slice(0, keep).map((v) => shorten(v, depth + 1));
    return value.length > keep ? [...items, `... ${value.length - keep} more`] : items;
  }
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v, k === "children" ? depth : depth + 1)]));
  return typeof value === "string" ? value.split(ROOT_URI).join("file:///seqc") : value;
}

/** JSON indented by 2, with each object or array that fits in 100 columns on one line. */
function json(value: unknown, indent = ""): string {
  const flat = JSON.stringify(value);
  if (flat === undefined || value === null || typeof value !== "object" || indent.length + flat.length <= 100) return flat ?? "null";
  const inner = indent + "  ";
  const items = Array.isArray(value)
    ? value.map((v) => inner + json(v, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${json(v, inner)}`);
  return `${Array.isArray(value) ? "[" : "{"}\n${items.join(",\n")}\n${indent}${Array.isArray(value) ? "]" : "}"}`;
}

/** The exchange as Markdown: each message in order, client to server (`->`) and back (`<-`). */
function transcript(messages: Exchanged[]): string {
  const lines = [
    "# A language server session",
    "",
    "Written by `test/lsp/server.test.ts` (`npx vitest run test/lsp`): the messages exchanged with",
    "`seqc lsp --stdio` over standard input and output, in order. The repository's path is",
    "shown as `file:///seqc`; lists longer than a few items (completions, outlines) are cut",
    "after the first ones. The run is deterministic: every step waits for the server's answer.",
    "",
  ];
  for (const { from, message } of messages) {
    const m = message as { method?: string; id?: number | string };
    const what = m.method ? `${m.method}${m.id !== undefined ? ` (request ${m.id})` : ""}` : `response ${m.id}`;
    lines.push(`## ${from === "client" ? "->" : "<-"} ${what}`, "", "```json", json(shorten(message)), "```", "");
  }
  return lines.join("\n");
}
