// @ts-check
"use strict";
/**
 * The seqc extension. package.json declares the .seq language, its grammar and its editing
 * rules; this file only starts the language server, `seqc lsp --stdio`, for .seq documents
 * (server-command.js says which program), once the workspace is trusted.
 */
const fs = require("node:fs");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");
const { serverCommand } = require("./server-command.js");

/** @type {LanguageClient | undefined} */
let client;

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("seqc.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("seqc.path")) void restart();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void start()),
  );
  await start();
}

async function start() {
  if (client || !vscode.workspace.isTrusted) return;
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
  const run = serverCommand({
    setting: vscode.workspace.getConfiguration("seqc").get("path"),
    folders,
    platform: process.platform,
    exists: (file) => fs.existsSync(file),
    read: (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch {
        return undefined;
      }
    },
  });
  // The id "seqc" names the output channel and the `seqc.trace.server` setting.
  const c = new LanguageClient("seqc", "seqc", { run, debug: run }, {
    documentSelector: [
      { scheme: "file", language: "seq" },
      { scheme: "untitled", language: "seq" },
    ],
  });
  client = c;
  try {
    await c.start();
  } catch (e) {
    if (client === c) client = undefined;
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(
      `seqc: the language server (${[run.command, ...run.args].join(" ")}) did not start: ${message}. ` +
        "Install seqc in the workspace (npm install --save-dev seqc) or set seqc.path.",
    );
  }
}

async function restart() {
  const old = client;
  client = undefined;
  if (old) await old.stop().catch(() => undefined);
  await start();
}

function deactivate() {
  return client?.stop();
}

module.exports = { activate, deactivate };
