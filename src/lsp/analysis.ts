/**
 * An open document, checked: the API's `inspect` run on the editor's text,
 * with the files the spec imports read from the editor when they are open
 * there and from the disk otherwise, as the CLI reads them. Imports resolve
 * from the document's directory; an unsaved buffer (not a file: URI) resolves
 * them from the server's working directory.
 */
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { TextDocument } from "vscode-languageserver-textdocument";
import { inspect, type Inspection } from "../api.js";
import { documentOf, pathOfUri, uriOfPath } from "./positions.js";

export interface Analysis {
  /** The document as it was checked (a copy: the editor's document changes in place). */
  document: TextDocument;
  inspection: Inspection;
  /** The URI of a file of the spec, by the name diagnostics and symbols give it. */
  uriOf(file: string): string | undefined;
  /** The text of a file of the spec as a document (the open document for the spec itself). */
  documentOf(file: string): TextDocument | undefined;
}

/** Checks a document. `openText` gives the editor's text of a file open there (absolute path), or undefined. */
export function analyze(open: TextDocument, openText: (path: string) => string | undefined = () => undefined): Analysis {
  const document = TextDocument.create(open.uri, open.languageId, open.version, open.getText());
  const path = pathOfUri(document.uri);
  const inspection = inspect(document.getText(), {
    file: path ?? (document.uri.replace(/^.*[/:]/, "") || "<untitled>"),
    ...(path ? { cwd: dirname(path) } : {}),
    readFile: (p) => openText(p) ?? readFileSync(p, "utf8"),
  });
  const root = inspection.files[0]?.file;
  const uris = new Map(inspection.files.map((f) => [f.file, f.file === root ? document.uri : uriOfPath(f.path)]));
  const documents = new Map<string, TextDocument>();
  return {
    document,
    inspection,
    uriOf: (file) => uris.get(file),
    documentOf: (file) => {
      if (file === root) return document;
      let doc = documents.get(file);
      const text = inspection.sources.get(file);
      const uri = uris.get(file);
      if (!doc && text !== undefined && uri !== undefined) documents.set(file, (doc = documentOf(uri, text)));
      return doc;
    },
  };
}
