/**
 * Shell completion (yargs' completion command): `seqc completion` prints a
 * bash or zsh script (by $SHELL), and the script, sourced in bash with `seqc`
 * on the PATH, completes `seqc ch` to `check`.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runSeqc } from "../../helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "seqc-completion-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("seqc completion", () => {
  it("prints a bash script that registers a completion function for seqc", () => {
    const r = runSeqc(["completion"], { env: { SHELL: "/bin/bash" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("###-begin-seqc-completions-###");
    expect(r.stdout).toMatch(/^complete .* seqc$/m);
    expect(r.stdout).toContain("seqc --get-yargs-completions");
  });

  it("prints a zsh script when the shell is zsh", () => {
    const r = runSeqc(["completion"], { env: { SHELL: "/usr/bin/zsh" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^#compdef seqc$/m);
    expect(r.stdout).toContain("compdef _seqc_yargs_completions seqc");
  });

  it("answers the script's question: the commands, the choices of an option", () => {
    const commands = runSeqc(["--get-yargs-completions", "seqc", "ch"], { env: { SHELL: "/bin/bash" } });
    expect(commands.status).toBe(0);
    expect(commands.stdout.split("\n")).toEqual(expect.arrayContaining(["check", "summary", "train", "compile"]));
    const formats = runSeqc(["--get-yargs-completions", "seqc", "check", "--format", ""], { env: { SHELL: "/bin/bash" } });
    expect(formats.stdout.split("\n")).toEqual(expect.arrayContaining(["human", "json", "sarif", "github"]));
    expect(runSeqc(["--get-yargs-completions", "seqc", "p"], { env: { SHELL: "/bin/bash" } }).stdout.split("\n")).toEqual(expect.arrayContaining(["plot", "predict"]));
    expect(runSeqc(["--get-yargs-completions", "seqc", "graph", "specs/char_lstm.seq", "--rankdir", ""], { env: { SHELL: "/bin/bash" } }).stdout.split("\n")).toEqual(expect.arrayContaining(["TB", "LR"]));
  });

  it("sourced in bash, completes `seqc ch` to `check`", () => {
    const bin = join(tmp, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "seqc"), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "bin", "seqc.js")}" "$@"\n`);
    chmodSync(join(bin, "seqc"), 0o755);
    const script = runSeqc(["completion"], { env: { SHELL: "/bin/bash" } }).stdout;
    writeFileSync(join(tmp, "seqc-completion.bash"), script);
    const complete = (words: string[]) => {
      const line = `source ${JSON.stringify(join(tmp, "seqc-completion.bash"))}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _seqc_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = spawnSync("bash", ["-c", line], { cwd: ROOT, encoding: "utf8", env: { ...process.env, SHELL: "/bin/bash", PATH: `${bin}:${process.env["PATH"]}` }, timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split("\n").filter((l) => l !== "");
    };
    expect(complete(["seqc", "ch"])).toEqual(["check"]);
    expect(complete(["seqc", "co"]).sort()).toEqual(["compile", "completion"]);
    expect(complete(["seqc", "check", "--format", "s"])).toEqual(["sarif"]);
  }, 120_000);
});
