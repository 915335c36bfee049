/**
 * Writing files so that a reader never sees one half-written, and a failure
 * names the file. Runtime file: imports only its siblings and Node built-ins.
 */
import { readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { IoError, ioReason } from "./errors.js";

let temps = 0;
const TEMP = /^\.seqc-(\d+)-\d+\.tmp$/;

/** Whether process `pid` is running (a signal 0 reaches it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/**
 * Removes the temporary files of writes that never finished in `dir`: this
 * process's and those of processes that are gone (killed mid-write). Another
 * running process's are left to it.
 */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = TEMP.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || !alive(pid)) rmSync(join(dir, n), { force: true });
  }
}

/**
 * Writes a file through a temporary file in the same folder and a rename:
 * readers never see it half-written, and what was there stays until the new
 * one is whole. The temporary name is short, so any name the folder can hold
 * can be written. A failure is an IoError naming the file.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.seqc-${process.pid}-${temps++}.tmp`);
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

/**
 * Writes several files into a folder all or none: each first as NAME.next
 * (through writeAtomic), and only when every one is written are they renamed
 * into place. A failure while writing (a full disk) removes the .next files
 * and leaves the folder as it was; an IoError names the file.
 */
export function writeAllAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  const written: string[] = [];
  try {
    for (const [name, data] of Object.entries(files)) {
      writeAtomic(join(dir, `${name}.next`), data);
      written.push(name);
    }
  } catch (e) {
    for (const name of written) rmSync(join(dir, `${name}.next`), { force: true });
    throw e;
  }
  for (const name of written) {
    try {
      renameSync(join(dir, `${name}.next`), join(dir, name));
    } catch (e) {
      throw new IoError(`cannot write ${join(dir, name)}: ${ioReason(e)}`);
    }
  }
}
