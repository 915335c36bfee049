/**
 * The VS Code extension folder (editors/vscode) without VS Code: its manifest and language
 * configuration against the grammar and the lexer, the choice of the language server's program,
 * and extension.js run against stand-ins for `vscode` and `vscode-languageclient`.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Comment } from "../../grammar/tokens.js";
import { EXTENSION_DIR, GRAMMAR_PATH, ROOT } from "./textmate.js";

interface Manifest {
  main: string;
  activationEvents: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    configuration: { properties: Record<string, unknown> };
    commands: { command: string }[];
  };
}

interface ServerCommand {
  command: string;
  args: string[];
  options: { cwd?: string; shell?: boolean };
}

type ServerCommandFn = (input: {
  setting: string | undefined;
  folders: string[];
  platform: string;
  exists: (file: string) => boolean;
  read: (file: string) => string | undefined;
}) => ServerCommand;

const read = (path: string): string => readFileSync(join(EXTENSION_DIR, path), "utf8");
const MANIFEST = JSON.parse(read("package.json")) as Manifest;
const requireCjs = createRequire(import.meta.url);
const { serverCommand } = requireCjs(join(EXTENSION_DIR, "server-command.js")) as { serverCommand: ServerCommandFn };

describe("the extension's manifest", () => {
  it("contributes the language seq for .seq files, with its configuration", () => {
    const [lang] = MANIFEST.contributes.languages;
    expect(lang?.id).toBe("seq");
    expect(lang?.extensions).toEqual([".seq"]);
    expect(existsSync(join(EXTENSION_DIR, lang!.configuration))).toBe(true);
  });

  it("contributes the grammar under the grammar's own scope name", () => {
    const [g] = MANIFEST.contributes.grammars;
    const grammar = JSON.parse(readFileSync(GRAMMAR_PATH, "utf8")) as { scopeName: string };
    expect(g?.language).toBe("seq");
    expect(g?.scopeName).toBe(grammar.scopeName);
    expect(join(EXTENSION_DIR, g!.path)).toBe(GRAMMAR_PATH);
  });

  it("starts extension.js on .seq documents", () => {
    expect(existsSync(join(EXTENSION_DIR, MANIFEST.main))).toBe(true);
    expect(MANIFEST.activationEvents).toContain("onLanguage:seq");
  });

  it("declares the command and the settings extension.js uses", () => {
    const source = read("extension.js");
    const commands = [...source.matchAll(/registerCommand\("([^"]+)"/g)].map((m) => m[1]);
    expect(MANIFEST.contributes.commands.map((c) => c.command).sort()).toEqual(commands.sort());
    expect(Object.keys(MANIFEST.contributes.configuration.properties).sort()).toEqual(["seqc.path", "seqc.trace.server"]);
    expect(MANIFEST.capabilities.untrustedWorkspaces.restrictedConfigurations).toEqual(["seqc.path"]);
  });

  it("depends on vscode-languageclient itself; the root package does not", () => {
    expect(MANIFEST.dependencies?.["vscode-languageclient"]).toMatch(/^\^\d+/);
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;
    for (const deps of [root.dependencies, root.devDependencies, root.optionalDependencies]) expect(Object.keys(deps ?? {})).not.toContain("vscode-languageclient");
  });

  it("the language configuration comments with the lexer's comment character and pairs the brackets", () => {
    const config = JSON.parse(read("language-configuration.json")) as { comments: { lineComment: string }; brackets: string[][]; autoClosingPairs: { open: string }[] };
    expect((Comment.PATTERN as RegExp).source.startsWith(config.comments.lineComment)).toBe(true);
    expect(config.brackets).toEqual([["{", "}"], ["[", "]"], ["(", ")"]]);
    // A prime (c') is not a quote: typing it must not insert a second one.
    expect(config.autoClosingPairs.map((p) => p.open)).not.toContain("'");
  });
});

describe("the language server's program", () => {
  const none = { exists: () => false, read: () => undefined };

  it("is the workspace's node_modules/.bin/seqc, run as `seqc lsp --stdio` in that folder", () => {
    const bin = "/w/b/node_modules/.bin/seqc";
    const r = serverCommand({ setting: "", folders: ["/w/a", "/w/b"], platform: "linux", exists: (f) => f === bin, read: () => undefined });
    expect(r).toEqual({ command: bin, args: ["lsp", "--stdio"], options: { cwd: "/w/b", shell: false } });
  });

  it("on Windows is npm's .cmd shim, started through a shell and quoted", () => {
    const bin = "C:\\My Work\\node_modules\\.bin\\seqc.cmd";
    const r = serverCommand({ setting: undefined, folders: ["C:\\My Work"], platform: "win32", exists: (f) => f === bin, read: () => undefined });
    expect(r).toEqual({ command: `"${bin}"`, args: ["lsp", "--stdio"], options: { cwd: "C:\\My Work", shell: true } });
  });

  it("follows the setting seqc.path: a command, a relative or absolute path, a .js file run with node", () => {
    const at = (setting: string) => serverCommand({ setting, folders: ["/w/a"], platform: "linux", exists: () => true, read: () => undefined });
    expect(at("seqc-dev")).toMatchObject({ command: "seqc-dev", args: ["lsp", "--stdio"] });
    expect(at("tools/seqc")).toMatchObject({ command: "/w/a/tools/seqc", args: ["lsp", "--stdio"], options: { cwd: "/w/a" } });
    expect(at("/opt/seqc/bin/seqc")).toMatchObject({ command: "/opt/seqc/bin/seqc" });
    expect(at("${workspaceFolder}/bin/seqc.js")).toEqual({ command: "node", args: ["/w/a/bin/seqc.js", "lsp", "--stdio"], options: { cwd: "/w/a", shell: false } });
  });

  it("in a checkout of seqc itself is its bin/seqc.js", () => {
    const r = serverCommand({ setting: "", folders: ["/src/seqc"], platform: "linux", exists: () => false, read: (f) => (f === "/src/seqc/package.json" ? '{"name": "seqc"}' : undefined) });
    expect(r).toMatchObject({ command: "node", args: ["/src/seqc/bin/seqc.js", "lsp", "--stdio"] });
  });

  it("is otherwise seqc on the PATH", () => {
    expect(serverCommand({ setting: "  ", folders: ["/w/a"], platform: "linux", ...none })).toEqual({ command: "seqc", args: ["lsp", "--stdio"], options: { cwd: "/w/a", shell: false } });
    expect(serverCommand({ setting: "", folders: [], platform: "darwin", ...none })).toMatchObject({ command: "seqc", options: { cwd: undefined } });
  });
});

describe("extension.js against stand-ins for vscode and vscode-languageclient", () => {
  interface Started {
    id: string;
    server: { run: ServerCommand };
    client: { documentSelector: { language: string }[] };
    stopped: boolean;
  }

  /** Loads extension.js with a fake `vscode` (one trusted or untrusted folder) and a LanguageClient that records what it was given. */
  function load(trusted: boolean) {
    const started: Started[] = [];
    const commands = new Map<string, () => Promise<void>>();
    let grantTrust: () => void = () => undefined;
    const vscode = {
      workspace: {
        isTrusted: trusted,
        workspaceFolders: [{ uri: { scheme: "file", fsPath: ROOT } }],
        getConfiguration: () => ({ get: () => "${workspaceFolder}/bin/seqc.js" }),
        onDidChangeConfiguration: () => ({ dispose() {} }),
        onDidGrantWorkspaceTrust: (f: () => void) => {
          grantTrust = f;
          return { dispose() {} };
        },
      },
      commands: { registerCommand: (name: string, f: () => Promise<void>) => (commands.set(name, f), { dispose() {} }) },
      window: { showErrorMessage: (m: string) => expect.fail(m) },
    };
    class LanguageClient {
      record: Started;
      constructor(id: string, _name: string, server: Started["server"], client: Started["client"]) {
        this.record = { id, server, client, stopped: false };
      }
      async start() {
        started.push(this.record);
      }
      async stop() {
        this.record.stopped = true;
      }
    }
    const stubs: Record<string, unknown> = { vscode, "vscode-languageclient/node": { LanguageClient } };
    const cjsModule = { exports: {} as { activate: (c: unknown) => Promise<void>; deactivate: () => unknown } };
    const fakeRequire = (id: string) => stubs[id] ?? requireCjs(id.startsWith("./") ? join(EXTENSION_DIR, id) : id);
    new Function("require", "module", "exports", read("extension.js"))(fakeRequire, cjsModule, cjsModule.exports);
    const context = { subscriptions: [] as unknown[] };
    return { ext: cjsModule.exports, context, started, commands, grant: () => (vscode.workspace.isTrusted = true, grantTrust()) };
  }

  it("starts `seqc lsp --stdio` for seq documents in a trusted workspace, and restarts it on command", async () => {
    const { ext, context, started, commands } = load(true);
    await ext.activate(context);
    expect(started).toHaveLength(1);
    expect(started[0]!.id).toBe("seqc");
    expect(started[0]!.server.run).toEqual({ command: "node", args: [join(ROOT, "bin/seqc.js"), "lsp", "--stdio"], options: { cwd: ROOT, shell: false } });
    expect(started[0]!.client.documentSelector.map((d) => d.language)).toEqual(["seq", "seq"]);
    expect(context.subscriptions.length).toBeGreaterThanOrEqual(3);
    await commands.get("seqc.restartServer")!();
    expect(started.map((s) => s.stopped)).toEqual([true, false]);
    await ext.deactivate();
    expect(started[1]!.stopped).toBe(true);
  });

  it("waits for the workspace to be trusted before it runs a program", async () => {
    const { ext, context, started, grant } = load(false);
    await ext.activate(context);
    expect(started).toHaveLength(0);
    grant();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toHaveLength(1);
  });
});
