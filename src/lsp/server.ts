/**
 * The seqc language server: wiring of the LSP connection to the pure
 * functions beside this file. Each open document is checked with the API's
 * `inspect` (analysis.ts): at once when it opens, and 200 ms after the last
 * of a burst of changes; hover, definition, completion and the outline answer
 * from the check of the document's current version (checked on demand when
 * a change is still waiting). Diagnostics go to the document's URI and to the
 * files it imports that are not open themselves; a change re-checks the open
 * documents that import the changed one.
 */
import { TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult } from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { analyze, type Analysis } from "./analysis.js";
import { completion } from "./completion.js";
import { Debouncer } from "./debounce.js";
import { definition } from "./definition.js";
import { diagnosticsByUri } from "./diagnostics.js";
import { hover } from "./hover.js";
import { pathOfUri } from "./positions.js";
import { documentSymbols } from "./symbols.js";

/** How long a document must be left alone before it is re-checked. */
export const DEBOUNCE_MS = 200;

export interface ServerOptions {
  debounceMs?: number;
  /** The server's version, for `initialize`'s serverInfo. */
  version?: string;
}

/** Serves the LSP on a connection (call `connection.listen()` after). */
export function startServer(connection: Connection, opts: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const debouncer = new Debouncer(opts.debounceMs ?? DEBOUNCE_MS);
  const analyses = new Map<string, Analysis>();
  /** For each open document, the other URIs its last check published diagnostics to. */
  const published = new Map<string, Set<string>>();

  const openText = (path: string): string | undefined => documents.all().find((d) => pathOfUri(d.uri) === path)?.getText();

  const analysisOf = (doc: TextDocument): Analysis => {
    const known = analyses.get(doc.uri);
    if (known && known.document.version === doc.version) return known;
    const fresh = analyze(doc, openText);
    analyses.set(doc.uri, fresh);
    return fresh;
  };

  const publish = (uri: string): void => {
    const doc = documents.get(uri);
    if (!doc) return;
    let byUri;
    try {
      byUri = diagnosticsByUri(analysisOf(doc));
    } catch (e) {
      connection.console.error(`seqc: cannot check ${uri}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return;
    }
    const before = published.get(uri) ?? new Set<string>();
    const now = new Set<string>();
    for (const [target, diagnostics] of byUri) {
      if (target === uri) void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
      else if (!documents.get(target)) {
        // An import that is not open: its problems are shown under its name (an open one reports its own).
        now.add(target);
        void connection.sendDiagnostics({ uri: target, diagnostics });
      }
    }
    for (const target of before) if (!now.has(target) && !documents.get(target)) void connection.sendDiagnostics({ uri: target, diagnostics: [] });
    published.set(uri, now);
  };

  /** The open documents (other than uri) whose last check read the file of uri. */
  const importers = (uri: string): string[] => {
    const path = pathOfUri(uri);
    if (path === undefined) return [];
    return [...analyses.values()].filter((a) => a.document.uri !== uri && a.inspection.files.slice(1).some((f) => f.path === path)).map((a) => a.document.uri);
  };

  const recheckImporters = (uri: string): void => {
    for (const other of importers(uri)) {
      analyses.delete(other);
      debouncer.schedule(other, () => publish(other));
    }
  };

  connection.onInitialize((): InitializeResult => ({
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      hoverProvider: true,
      definitionProvider: true,
      completionProvider: {},
      documentSymbolProvider: true,
    },
    serverInfo: { name: "seqc", ...(opts.version ? { version: opts.version } : {}) },
  }));

  documents.onDidOpen((e) => {
    publish(e.document.uri);
    recheckImporters(e.document.uri);
  });
  documents.onDidChangeContent((e) => {
    const uri = e.document.uri;
    // Opening a document changes its content too; onDidOpen has checked that version.
    if (analyses.get(uri)?.document.version === e.document.version) return;
    debouncer.schedule(uri, () => publish(uri));
    recheckImporters(uri);
  });
  documents.onDidClose((e) => {
    const uri = e.document.uri;
    debouncer.cancel(uri);
    analyses.delete(uri);
    void connection.sendDiagnostics({ uri, diagnostics: [] });
    for (const target of published.get(uri) ?? []) if (!documents.get(target)) void connection.sendDiagnostics({ uri: target, diagnostics: [] });
    published.delete(uri);
    recheckImporters(uri);
  });

  const withDocument = <T>(uri: string, answer: (a: Analysis) => T, none: T): T => {
    const doc = documents.get(uri);
    return doc ? answer(analysisOf(doc)) : none;
  };
  connection.onHover((p) => withDocument(p.textDocument.uri, (a) => hover(a, p.position), null));
  connection.onDefinition((p) => withDocument(p.textDocument.uri, (a) => definition(a, p.position), null));
  connection.onCompletion((p) => withDocument(p.textDocument.uri, (a) => completion(a, p.position), []));
  connection.onDocumentSymbol((p) => withDocument(p.textDocument.uri, (a) => documentSymbols(a), []));
  connection.onShutdown(() => debouncer.cancelAll());

  documents.listen(connection);
}
