/**
 * `seqc lsp --stdio`: the language server (src/lsp/) over standard input and
 * output. The protocol owns both streams, so everything the process would log
 * goes to the client's log instead; the library ends the process on `exit` or
 * when the client closes standard input.
 */
import { createConnection } from "vscode-languageserver/node";
import { startServer } from "../../lsp/server.js";
import { VERSION } from "../output.js";

export function runLsp(): Promise<number> {
  const connection = createConnection(process.stdin, process.stdout);
  // Standard output is the protocol's: a stray console.log would corrupt it.
  console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(" "));
  console.info = console.log;
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(" "));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(" "));
  startServer(connection, { version: VERSION });
  connection.listen();
  // Never settles: the connection ends the process (exit code 0 after `shutdown` then `exit`, 1 otherwise).
  return new Promise<number>(() => {});
}
