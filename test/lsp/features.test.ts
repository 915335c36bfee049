/**
 * The language server's answers as pure functions of a checked document
 * (src/lsp/: diagnostics, hover, definition, completion, document symbols),
 * without a client; and the debouncer that spaces out re-checks.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CompletionItemKind, DiagnosticSeverity, SymbolKind, type Position } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { analyze } from "../../src/lsp/analysis.js";
import { completion } from "../../src/lsp/completion.js";
import { Debouncer } from "../../src/lsp/debounce.js";
import { definition } from "../../src/lsp/definition.js";
import { diagnosticsByUri } from "../../src/lsp/diagnostics.js";
import { hover } from "../../src/lsp/hover.js";
import { documentSymbols } from "../../src/lsp/symbols.js";
import { ROOT } from "../helpers/cli.js";

const FIXTURES = join(ROOT, "test/lsp/fixtures");
const uri = (path: string) => pathToFileURL(path).href;

function open(path: string, text = readFileSync(path, "utf8"), openText: (p: string) => string | undefined = () => undefined) {
  return analyze(TextDocument.create(uri(path), "seq", 1, text), openText);
}

/** The position `nth` characters into the first `needle` (after `after`). */
function pos(text: string, needle: string, nth = 0, after = ""): Position {
  const offset = text.indexOf(needle, text.indexOf(after)) + nth;
  const before = text.slice(0, offset);
  return { line: before.split("\n").length - 1, character: offset - before.lastIndexOf("\n") - 1 };
}

function markdown(h: ReturnType<typeof hover>): string {
  const c = h?.contents;
  return c && typeof c === "object" && "value" in c ? c.value : "";
}

const SEQ2SEQ_PATH = join(ROOT, "specs/seq2seq_attention.seq");
const SEQ2SEQ = readFileSync(SEQ2SEQ_PATH, "utf8");
const seq2seq = open(SEQ2SEQ_PATH);
const CODE = "\ncell attention_lstm";

describe("diagnostics", () => {
  it("ranges count UTF-16 code units, as LSP does: an astral character before the mistake counts two", () => {
    const text = 'model m {\n  vocab e[VE] = ["😀", b]; dim Q = 0\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n';
    const a = open(join(FIXTURES, "utf16.seq"), text);
    const [d] = diagnosticsByUri(a).get(a.document.uri)!;
    const zero = text.indexOf("0\n");
    // 35 UTF-16 units into the line; 34 code points.
    expect(d!.range.start).toEqual({ line: 1, character: 35 });
    expect(a.document.positionAt(zero)).toEqual(d!.range.start);
    expect([...text.slice(text.indexOf("  vocab"), zero)].length).toBe(34);
  });

  it("lines end at CRLF as at LF: the range is the document's own position of the offset", () => {
    const text = "model m {\r\n  input x: [3]\r\n  target y: [2]\r\n  loss mse(x, y)\r\n}\r\n";
    const a = open(join(FIXTURES, "crlf.seq"), text);
    const [d] = diagnosticsByUri(a).get(a.document.uri)!;
    expect(d!.range).toEqual({ start: a.document.positionAt(text.indexOf("mse")), end: a.document.positionAt(text.indexOf(")\r\n}") + 1) });
  });

  it("code, severity, help and notes in the message, secondary labels as related information", () => {
    const text = readFileSync(join(FIXTURES, "lm.seq"), "utf8");
    const a = open(join(FIXTURES, "lm.seq"), text);
    const byUri = diagnosticsByUri(a);
    expect([...byUri.keys()]).toEqual([a.document.uri]);
    const [d] = byUri.get(a.document.uri)!;
    expect(d).toMatchObject({ code: "SEQ0308", severity: DiagnosticSeverity.Error, source: "seqc", range: { start: pos(text, "cross_entropy(p"), end: pos(text, ", y)", 4) } });
    expect(d!.relatedInformation).toEqual([
      { location: { uri: a.document.uri, range: { start: pos(text, "p, y)"), end: pos(text, "p, y)", 1) } }, message: "[T, 32]" },
      { location: { uri: a.document.uri, range: { start: pos(text, "y)", 0, "cross_entropy"), end: pos(text, "y)", 1, "cross_entropy") } }, message: "[T] of chars" },
    ]);
    const unknown = open(join(FIXTURES, "x.seq"), "model m {\n  input x: [3]\n  target y: [3]\n  loss mse(xx, y)\n}\n");
    expect(diagnosticsByUri(unknown).get(unknown.document.uri)![0]!.message).toBe("unknown name `xx`\nhelp: did you mean `x`?");
  });

  it("an import's problems go to its URI; an import open in the editor is read from there, not from the disk", () => {
    const lib = join(FIXTURES, "lib.seq");
    const broken = readFileSync(lib, "utf8").replace("out tanh(W @ x + b)", "out tanh(W @ x + b + q)");
    const a = open(join(FIXTURES, "lm.seq"), undefined, (p) => (p === lib ? broken : undefined));
    const byUri = diagnosticsByUri(a);
    expect(byUri.get(uri(lib))?.map((d) => [d.code, d.message, d.range.start])).toEqual([["SEQ0101", "unknown name `q`\nhelp: did you mean `x`?", pos(broken, "q)")]]);
    expect(open(join(FIXTURES, "lm.seq")).inspection.diagnostics.map((d) => d.file)).toEqual(["lm.seq"]);
  });
});

describe("hover", () => {
  it("a model value: the shape with symbolic dims, the bound dims, the params it creates", () => {
    const h = hover(seq2seq, pos(SEQ2SEQ, "dec = attention"))!;
    expect(markdown(h)).toBe([
      "```seq\ndec: [U, H]\n```",
      "value of model seq2seq_attention · float32 · where H = 64",
      "params created here: `4*E*H + E*VT + 9*H*H + 4*H`",
      "[U, H]",
    ].join("\n\n"));
    expect(h.range).toEqual({ start: pos(SEQ2SEQ, "dec = attention"), end: pos(SEQ2SEQ, "dec = attention", 3) });
  });

  it("a param: its shape and count, and each model's instance with its value once the dims are bound", () => {
    expect(markdown(hover(seq2seq, pos(SEQ2SEQ, "W_a: [H, H]")))).toBe([
      "```seq\nparam W_a: [H, H] = glorot\n```",
      "param of cell attention_lstm · float32",
      "count: `H*H`\n- in model seq2seq_attention: `dec.W_a: [H, H]`, H*H = 4,096",
    ].join("\n\n"));
  });

  it("a use whose type is the model's: a scan's final state", () => {
    const md = markdown(hover(seq2seq, pos(SEQ2SEQ, "enc.c", 4)));
    expect(md).toContain("state c: [H] = 0");
    expect(md).toContain("state of cell lstm (standard library)");
  });

  it("a dim's binding, a builtin's description, nothing off a name", () => {
    expect(markdown(hover(seq2seq, pos(SEQ2SEQ, "S, H]", 0, CODE)))).toContain("bound by the shape of mem: [S, H], from each call's argument");
    expect(markdown(hover(seq2seq, pos(SEQ2SEQ, "softmax(e)")))).toBe("```seq\nsoftmax(x, axis: -1)\n```\n\nbuiltin op\n\nsoftmax over an axis (default the last)");
    expect(hover(seq2seq, pos(SEQ2SEQ, "= mem @", 1))).toBeNull();
  });

  it("a value of a spec that does not parse: no shape, and why", () => {
    const text = "model m {\n  input x: [3]\n  h = dense<4>(x)\n  logits = dense<\n}\n";
    expect(markdown(hover(open(join(FIXTURES, "broken.seq"), text), pos(text, "h =")))).toContain("no shape until the spec parses");
  });
});

describe("definition", () => {
  it("values, states, dims and vocabularies in the document; cells in the standard library; none for builtins", () => {
    expect(definition(seq2seq, pos(SEQ2SEQ, "enc.h"))).toEqual({ uri: seq2seq.document.uri, range: { start: pos(SEQ2SEQ, "enc = "), end: pos(SEQ2SEQ, "enc = ", 3) } });
    expect(definition(seq2seq, pos(SEQ2SEQ, "tgt", 0, "target y"))?.range.start).toEqual(pos(SEQ2SEQ, "tgt[VT]"));
    expect(definition(seq2seq, pos(SEQ2SEQ, "U, H]", 0, "model"))).toBeNull();
    expect(definition(seq2seq, pos(SEQ2SEQ, "[U] of", 1))?.range.start).toEqual(pos(SEQ2SEQ, "U  #"));
    const std = definition(seq2seq, pos(SEQ2SEQ, "embedding<E>"))!;
    expect(std.uri).toBe(uri(join(ROOT, "src/std/dense.seq")));
    expect(std.range.start).toEqual(pos(readFileSync(join(ROOT, "src/std/dense.seq"), "utf8"), "embedding<E>(x"));
    expect(definition(seq2seq, pos(SEQ2SEQ, "sigmoid(f)"))).toBeNull();
  });
});

describe("completion", () => {
  it("names in scope first, then the spec's cells and fns, the library's, the builtins; each with its detail", () => {
    const items = completion(seq2seq, pos(SEQ2SEQ, "logits = dense"));
    const item = (label: string) => items.find((i) => i.label === label);
    expect(item("enc")).toMatchObject({ kind: CompletionItemKind.Variable, detail: "enc: [S, H]", sortText: "0enc" });
    expect(item("attention_lstm")).toMatchObject({ kind: CompletionItemKind.Class, sortText: "1attention_lstm" });
    expect(item("dense")).toMatchObject({ kind: CompletionItemKind.Function, detail: "fn dense<N>(x: [D]) -> [N]", sortText: "2dense" });
    expect(item("softmax")).toMatchObject({ kind: CompletionItemKind.Function, sortText: "3softmax" });
    expect(new Set(items.map((i) => i.label)).size).toBe(items.length);
  });

  it("train {} keys insert `key: `", () => {
    const items = completion(seq2seq, pos(SEQ2SEQ, "epochs: 6"));
    expect(items.find((i) => i.label === "epochs")).toMatchObject({ kind: CompletionItemKind.Property, insertText: "epochs: " });
  });
});

describe("document symbols", () => {
  it("the outline, nested, each name's range inside its declaration's", () => {
    const symbols = documentSymbols(seq2seq);
    expect(symbols.map((s) => [s.name, s.kind, s.detail])).toEqual([
      ["attention_lstm", SymbolKind.Class, "<H>(y: [E], ctx mem: [S, H]) -> [H]"],
      ["seq2seq_attention", SymbolKind.Module, "8*E*H + E*VS + E*VT + 13*H*H + H*VT + 8*H + VT params"],
    ]);
    const cell = symbols[0]!.children!;
    expect(cell.find((s) => s.name === "W_a")).toMatchObject({ kind: SymbolKind.Field, detail: "[H, H]" });
    expect(cell.find((s) => s.name === "c")).toMatchObject({ kind: SymbolKind.Property, detail: "[H]" });
    expect(symbols[1]!.children!.find((s) => s.name === "logits")).toMatchObject({ kind: SymbolKind.Variable, detail: "[U, VT]" });
    const inside = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character <= b.character);
    for (const s of [...symbols, ...symbols.flatMap((x) => x.children ?? [])]) {
      expect(inside(s.range.start, s.selectionRange.start) && inside(s.selectionRange.end, s.range.end), s.name).toBe(true);
    }
  });
});

describe("Debouncer", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs the last of a burst once, after the delay; keys are independent; cancel drops a run", () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    const d = new Debouncer(200);
    d.schedule("a", () => runs.push("a1"));
    vi.advanceTimersByTime(150);
    d.schedule("a", () => runs.push("a2"));
    d.schedule("b", () => runs.push("b"));
    vi.advanceTimersByTime(199);
    expect(runs).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(runs).toEqual(["a2", "b"]);
    d.schedule("a", () => runs.push("a3"));
    d.cancel("a");
    vi.advanceTimersByTime(1000);
    expect(runs).toEqual(["a2", "b"]);
  });
});
