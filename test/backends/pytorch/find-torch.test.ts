/** Finding a Python that imports torch (src/backends/pytorch/find-torch.ts): SEQC_PYTHON alone when set, else python3 then /usr/bin/python3. */
import { describe, expect, it } from "vitest";
import { findTorchPython, pythonCandidates } from "../../../src/backends/pytorch/find-torch.js";

describe("a Python with torch", () => {
  it("SEQC_PYTHON, when set, is the only candidate; else python3 on the PATH, then /usr/bin/python3", () => {
    expect(pythonCandidates({ SEQC_PYTHON: "/opt/py/bin/python" })).toEqual(["/opt/py/bin/python"]);
    expect(pythonCandidates({ SEQC_PYTHON: " " })).toEqual(["python3", "/usr/bin/python3"]);
    expect(pythonCandidates({})).toEqual(["python3", "/usr/bin/python3"]);
  });

  it("a named Python that does not exist: none, saying what was tried and how to get one", () => {
    const r = findTorchPython({ SEQC_PYTHON: "/nonexistent/python3" });
    expect(r).toEqual({ missing: expect.stringMatching(/^no Python imports torch \(\/nonexistent\/python3: spawnSync \/nonexistent\/python3 ENOENT\); install PyTorch \(Debian: apt-get install python3-torch\) or set SEQC_PYTHON to a Python that has it$/) });
  });
});
