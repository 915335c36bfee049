/**
 * Writing files so that a reader never sees one half-written, and a failure
 * names the file. Runtime file: imports only its siblings and Node built-ins.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { IoError, ioReason } from "./errors.js";

/** Writes a file through a temporary name and a rename: readers never see it half-written. A failure is an IoError naming the file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // There is no temp file to remove where there is no folder (a file on the path: ENOTDIR).
    }
    throw new IoError(`cannot write ${path}: ${(e as { code?: string }).code === "ENOENT" ? "no such folder" : ioReason(e)}`);
  }
}
