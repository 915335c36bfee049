/**
 * Reading a PyTorch `.pt` file: Python with torch (src/backends/pytorch/find-torch.ts) loads it
 * with `torch.load(map_location="cpu", weights_only=True)` (no code in the
 * file runs), takes the state_dict (the file's dict itself, or its
 * `state_dict` / `model_state_dict` / `model` entry), and writes its tensors
 * to a temporary directory as raw little-endian floats (float64 stays
 * float64, other floating types become float32) with a JSON header of names,
 * dtypes and shapes; Node reads them back and removes the directory.
 *
 * Every failure is a UserIoError (exit 2) naming the file: no Python with
 * torch, a file torch cannot read, a file that holds no state_dict.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TorchTensor } from "../backends/pytorch/weights.js";
import { ioReason } from "../runtime/errors.js";
import { UserIoError } from "./io.js";
import { findTorchPython } from "../backends/pytorch/find-torch.js";

/** The Python side: argv[1] the .pt file, argv[2] the directory to write header.json and tensors.bin into. */
const LOAD_STATE_DICT = String.raw`
import json, sys
import torch

path, out = sys.argv[1], sys.argv[2]

def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(3)

try:
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # a torch before 1.13 has no weights_only
        obj = torch.load(path, map_location="cpu")
except Exception as e:
    reason = (str(e).strip().splitlines() or [""])[0]
    hint = "; a file of torch.save(model) (a pickled module) does not load safely: save model.state_dict()" if "weights_only" in str(e) or "Unpickl" in type(e).__name__ else ""
    fail("torch.load cannot read it: %s%s%s" % (type(e).__name__, ": " + reason if reason else "", hint))

entry = None
if isinstance(obj, dict):
    for name in ("state_dict", "model_state_dict", "model"):
        if isinstance(obj.get(name), dict):
            obj, entry = obj[name], name
            break
if not isinstance(obj, dict):
    fail("it holds a %s, not a state_dict (a dict of tensors: torch.save(model.state_dict(), path))" % type(obj).__name__)

tensors = [(k, v) for k, v in obj.items() if isinstance(k, str) and torch.is_tensor(v)]
if not tensors:
    fail("it holds no tensors (keys: %s)" % ", ".join(map(str, list(obj.keys())[:10])))

header = {"entry": entry, "tensors": [], "ignored": [str(k) for k, v in obj.items() if not (isinstance(k, str) and torch.is_tensor(v))]}
with open(out + "/tensors.bin", "wb") as f:
    offset = 0
    for name, t in tensors:
        t = t.detach().cpu().contiguous()
        entry = {"name": name, "shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
        if t.is_floating_point():
            wide = t.dtype == torch.float64
            data = t.to(torch.float64 if wide else torch.float32).numpy().astype("<f8" if wide else "<f4").tobytes()
            entry.update({"bytes": "f8" if wide else "f4", "offset": offset, "length": len(data)})
            f.write(data)
            offset += len(data)
        header["tensors"].append(entry)
with open(out + "/header.json", "w") as f:
    json.dump(header, f)
`;

interface Header {
  entry: string | null;
  tensors: { name: string; shape: number[]; dtype: string; bytes?: "f4" | "f8"; offset?: number; length?: number }[];
  ignored: string[];
}

/** A state_dict read from a .pt file: its floating tensors by key, in the file's order, and the keys it skipped (non-float tensors, other entries). */
export interface StateDict {
  /** The checkpoint's entry that holds the state_dict (`model_state_dict`), when the file's dict is not the state_dict itself. */
  entry?: string;
  tensors: Map<string, TorchTensor>;
  skipped: string[];
}

/** Reads the state_dict of a .pt file (see the file comment). */
export function readStateDict(path: string): StateDict {
  if (!existsSync(path)) throw new UserIoError(`cannot read ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UserIoError(`cannot read ${path}: it is a directory, not a .pt file`);
  const found = findTorchPython();
  if ("missing" in found) throw new UserIoError(`cannot read ${path}: ${found.missing}`);
  const dir = mkdtempSync(join(tmpdir(), "seqc-torch-"));
  try {
    const r = spawnSync(found.python, ["-c", LOAD_STATE_DICT, path, dir], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1" } });
    if (r.error) throw new UserIoError(`cannot read ${path}: cannot run ${found.python}: ${r.error.message}`);
    if (r.status !== 0) {
      const last = r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`;
      throw new UserIoError(`cannot read ${path} as a PyTorch state_dict: ${last}`);
    }
    let header: Header;
    let data: Buffer;
    try {
      header = JSON.parse(readFileSync(join(dir, "header.json"), "utf8")) as Header;
      data = readFileSync(join(dir, "tensors.bin"));
    } catch (e) {
      throw new UserIoError(`cannot read ${path}: the tensors ${found.python} wrote cannot be read back: ${ioReason(e)}`);
    }
    const tensors = new Map<string, TorchTensor>();
    const skipped = [...header.ignored];
    for (const t of header.tensors) {
      if (t.bytes === undefined || t.offset === undefined || t.length === undefined) {
        skipped.push(`${t.name} (${t.dtype})`);
        continue;
      }
      // A copy: the slice of the file's buffer need not be aligned for a typed array (little-endian, as weights.bin is read).
      const bytes = data.buffer.slice(data.byteOffset + t.offset, data.byteOffset + t.offset + t.length);
      tensors.set(t.name, { shape: t.shape, values: t.bytes === "f8" ? new Float64Array(bytes) : new Float32Array(bytes) });
    }
    return { ...(header.entry ? { entry: header.entry } : {}), tensors, skipped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
