/**
 * An LSP client for tests: starts `seqc lsp --stdio` (the built CLI), talks to
 * it with vscode-jsonrpc, and records every message both ways, so a test can
 * wait for the server's notifications and write the exchange down.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type Message, type MessageConnection, type MessageReader, type MessageWriter } from "vscode-jsonrpc/node";
import { ROOT } from "../helpers/cli.js";

/** One message of the exchange, as it went over the wire. */
export interface Exchanged {
  from: "client" | "server";
  message: Message;
}

type Waiter = { method: string; test: (params: unknown) => boolean; resolve: (params: unknown) => void };

export class LspClient {
  /** Every message sent and received, in order. */
  readonly transcript: Exchanged[] = [];
  readonly connection: MessageConnection;
  private readonly waiters: Waiter[] = [];
  private readonly seen: { method: string; params: unknown }[] = [];
  private stderr = "";
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    const reader = new StreamMessageReader(child.stdout);
    const writer = new StreamMessageWriter(child.stdin);
    const record = (from: Exchanged["from"], message: Message) => this.transcript.push({ from, message: JSON.parse(JSON.stringify(message)) as Message });
    const recordingReader: MessageReader = {
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback) => reader.listen((m) => {
        record("server", m);
        callback(m);
      }),
      dispose: () => reader.dispose(),
    };
    const recordingWriter: MessageWriter = {
      onError: writer.onError,
      onClose: writer.onClose,
      write: (m) => {
        record("client", m);
        return writer.write(m);
      },
      end: () => writer.end(),
      dispose: () => writer.dispose(),
    };
    this.connection = createMessageConnection(recordingReader, recordingWriter);
    this.connection.onNotification((method, params) => {
      this.seen.push({ method, params });
      for (const w of [...this.waiters]) {
        if (w.method === method && w.test(params)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(params);
        }
      }
    });
    this.connection.listen();
    child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  }

  /** Starts `node bin/seqc.js lsp --stdio` in the repository root. */
  static start(): LspClient {
    return new LspClient(spawn(process.execPath, ["bin/seqc.js", "lsp", "--stdio"], { cwd: ROOT, stdio: "pipe" }));
  }

  /** What the server wrote on standard error (nothing, normally). */
  get errors(): string {
    return this.stderr;
  }

  /** A request (without params when none are given, as `shutdown` is sent). */
  request<R>(method: string, params?: unknown): Promise<R> {
    return (params === undefined ? this.connection.sendRequest(method) : this.connection.sendRequest(method, params)) as Promise<R>;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return params === undefined ? this.connection.sendNotification(method) : this.connection.sendNotification(method, params);
  }

  /**
   * The next notification `method` (from now on) whose params pass `test`.
   * Rejects after `ms`, naming the notifications that did arrive.
   */
  next<P>(method: string, test: (params: P) => boolean = () => true, ms = 30_000): Promise<P> {
    return new Promise<P>((resolve, reject) => {
      const waiter: Waiter = { method, test: test as (p: unknown) => boolean, resolve: resolve as (p: unknown) => void };
      this.waiters.push(waiter);
      setTimeout(() => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${method} within ${ms} ms; got ${JSON.stringify(this.seen.map((s) => s.method))}; stderr: ${this.stderr}`));
      }, ms).unref();
    });
  }

  /** shutdown, then exit: resolves to the server's exit code. */
  async stop(): Promise<number | null> {
    await this.request("shutdown");
    await this.notify("exit");
    const code = await this.exited;
    this.connection.dispose();
    return code;
  }

  /** Ends the server whatever its state (after a failed test). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}
