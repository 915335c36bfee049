/**
 * PyTorch for the tests of the pytorch target: .ci/run installs python3-torch
 * alongside `npm ci` when it is missing and names, in SEQC_TORCH_PENDING, the
 * file its install writes its exit code to when done; tests wait for it (up
 * to 10 minutes) before looking for torch (src/backends/pytorch/find-torch.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { findTorchPython } from "../../src/backends/pytorch/find-torch.js";

async function awaitTorchInstall(done = process.env["SEQC_TORCH_PENDING"]): Promise<void> {
  if (done === undefined) return;
  for (let waited = 0; !existsSync(done) && waited < 600_000; waited += 500) await new Promise((r) => setTimeout(r, 500));
  const code = existsSync(done) ? readFileSync(done, "utf8").trim() : "still running after 10 minutes";
  if (code !== "0") console.log(`installing PyTorch for this test: ${code.startsWith("still") ? code : `apt-get exit ${code}`} (see ${done.replace(/\.done$/, ".log")})`);
}

/** The Python with torch for a test file (after waiting for CI's install), or the reason its tests are skipped, as their name says it. */
export async function torchForTests(): Promise<{ python: string; skip: "" } | { python: ""; skip: string }> {
  await awaitTorchInstall();
  const found = findTorchPython();
  return "missing" in found ? { python: "", skip: `PyTorch missing: ${found.missing}` } : { python: found.python, skip: "" };
}
