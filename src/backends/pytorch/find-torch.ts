/**
 * Finding a Python that imports PyTorch, for everything of seqc that runs
 * torch in a child process (`seqc import-weights --from torch`, the lm
 * benchmark's PyTorch rows, the tests that compare with torch).
 *
 * The candidates, in order: `$SEQC_PYTHON` (when set, the only one: a user who
 * names a Python means that one), `python3` on the PATH, `/usr/bin/python3`
 * (Debian's python3-torch installs there, while a pyenv or venv python3 that
 * comes first on the PATH often has no torch).
 */
import { spawnSync } from "node:child_process";

/** The environment variable that names the Python to use. */
export const PYTHON_ENV = "SEQC_PYTHON";

/** A Python that imports torch, and torch's version. */
export interface TorchPython {
  python: string;
  version: string;
}

/** Why no Python imports torch: each candidate tried and what it said. */
export interface NoTorch {
  missing: string;
}

const found = new Map<string, TorchPython | NoTorch>();

/** The candidates, in the order they are tried. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = env[PYTHON_ENV]?.trim();
  return named ? [named] : ["python3", "/usr/bin/python3"];
}

/**
 * The first candidate that imports torch (each list of candidates is tried
 * once per process), or why there is none, in one line that says how to get
 * one.
 */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env): TorchPython | NoTorch {
  const candidates = pythonCandidates(env);
  const key = candidates.join("\0");
  const known = found.get(key);
  if (known) return known;
  const tried: string[] = [];
  let result: TorchPython | NoTorch | undefined;
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    if (r.status === 0) {
      result = { python, version: r.stdout.trim() };
      break;
    }
    tried.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`)}`);
  }
  result ??= { missing: `no Python imports torch (${tried.join("; ")}); install PyTorch (Debian: apt-get install python3-torch) or set ${PYTHON_ENV} to a Python that has it` };
  found.set(key, result);
  return result;
}
