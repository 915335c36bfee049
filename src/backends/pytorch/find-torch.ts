/**
 * The Python that runs the pytorch target's output here: $SEQC_PYTHON when
 * set, else `python3`, else `/usr/bin/python3` (Debian's python3-torch lives
 * there when another python3 comes first on PATH): the first that imports
 * torch. For seqc's tests and benchmarks; an emitted trainer runs under
 * whatever python its user starts it with.
 */
import { spawnSync } from "node:child_process";

export type TorchPython = { python: string; version: string } | { skipped: string };

/** How to get PyTorch, for messages that say it is missing. */
export const INSTALL_TORCH = "Debian/Ubuntu: apt-get install python3-torch; elsewhere: pip install torch; or set SEQC_PYTHON to a python that has it";

let found: TorchPython | undefined;

/** The first candidate python that imports torch, with torch's version; or why there is none (once per process). */
export function findTorch(): TorchPython {
  if (found) return found;
  const env = process.env["SEQC_PYTHON"];
  const tried: string[] = [];
  for (const python of env ? [env] : ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    if (r.status === 0) return (found = { python, version: r.stdout.trim() });
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`)}`);
  }
  return (found = { skipped: `no python imports torch (${tried.join("; ")}); ${INSTALL_TORCH}` });
}
