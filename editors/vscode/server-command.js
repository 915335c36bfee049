// @ts-check
"use strict";
/**
 * Which program starts the seqc language server, `seqc lsp --stdio`. Pure (the file system and
 * the platform are arguments), so test/editors/extension.test.ts runs it without VS Code.
 */
const path = require("node:path");

/** The arguments of the language server: LSP over standard input and output. */
const LSP_ARGS = ["lsp", "--stdio"];

/**
 * @typedef {object} ServerCommand  vscode-languageclient's `Executable`, with no `transport`
 *   (stdio by default, and the client adds no flag of its own).
 * @property {string} command
 * @property {string[]} args
 * @property {{ cwd?: string, shell?: boolean }} options
 */

/**
 * The command for the language server, found in this order:
 * 1. the setting `seqc.path`: a command on the PATH (`seqc`), a path to the program, or a path to
 *    a `.js` file run with `node` (a checkout's `bin/seqc.js`); relative paths and
 *    `${workspaceFolder}` resolve against the first workspace folder;
 * 2. `node_modules/.bin/seqc` of a workspace folder (where `npm install --save-dev seqc` puts it);
 * 3. `bin/seqc.js` of a workspace folder that is seqc itself (its package.json is named seqc);
 * 4. `seqc` on the PATH.
 * On Windows, npm's shims are `.cmd` files, which Node starts only through a shell (so a path
 * with spaces is quoted); `node` and `.exe` files start without one.
 *
 * @param {object} input
 * @param {string | undefined} input.setting  the value of `seqc.path`
 * @param {string[]} input.folders  the workspace folders' paths, the first first
 * @param {string} input.platform  `process.platform`
 * @param {(file: string) => boolean} input.exists
 * @param {(file: string) => string | undefined} input.read  a file's text, or undefined
 * @returns {ServerCommand}
 */
function serverCommand({ setting, folders, platform, exists, read }) {
  const windows = platform === "win32";
  const paths = windows ? path.win32 : path.posix;
  const cwd = folders[0];
  /** @param {string} command @param {string | undefined} dir @returns {ServerCommand} */
  const program = (command, dir) => {
    const shell = windows && !/\.exe$/i.test(command);
    return { command: shell && /\s/.test(command) ? `"${command}"` : command, args: [...LSP_ARGS], options: { cwd: dir, shell } };
  };
  /** @param {string} file @param {string | undefined} dir @returns {ServerCommand} */
  const script = (file, dir) => ({ command: "node", args: [file, ...LSP_ARGS], options: { cwd: dir, shell: false } });

  const configured = (setting ?? "").trim().replace(/\$\{workspaceFolder\}/g, cwd ?? "");
  if (configured) {
    const isPath = /[\\/]/.test(configured) || /\.[cm]?js$/i.test(configured);
    const file = isPath && cwd && !paths.isAbsolute(configured) ? paths.resolve(cwd, configured) : configured;
    return /\.[cm]?js$/i.test(file) ? script(file, cwd) : program(file, cwd);
  }
  for (const folder of folders) {
    const bin = paths.join(folder, "node_modules", ".bin", windows ? "seqc.cmd" : "seqc");
    if (exists(bin)) return program(bin, folder);
  }
  for (const folder of folders) {
    const manifest = read(paths.join(folder, "package.json"));
    if (manifest !== undefined && isSeqc(manifest)) return script(paths.join(folder, "bin", "seqc.js"), folder);
  }
  return program("seqc", cwd);
}

/** @param {string} text  a package.json */
function isSeqc(text) {
  try {
    return JSON.parse(text).name === "seqc";
  } catch {
    return false;
  }
}

module.exports = { serverCommand, LSP_ARGS };
