/**
 * Writing files so that a reader never sees one half-written, and a failure
 * names the file. Runtime file: imports only its siblings and Node built-ins.
 */
import { lstatSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
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

/** Symbolic links followed before giving up, as the system's limit (ELOOP) does. */
const MAX_LINKS = 40;

/**
 * Where a write to `path` lands: the file at the end of its symbolic links
 * (a link stays a link; a dangling one gets its target created), and whether
 * that is something other than a regular file or a directory (a FIFO, a
 * device, a socket), which is written through, not replaced. (Exported for
 * tests that must not replace a device, should this go wrong.)
 */
export function writeTarget(path: string): { path: string; through: boolean } {
  let p = path;
  for (let i = 0; i < MAX_LINKS; i++) {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      // Nothing there (or nothing that can be looked at): created, and any failure reported, by the write.
      return { path: p, through: false };
    }
    if (!st.isSymbolicLink()) return { path: p, through: !st.isFile() && !st.isDirectory() };
    p = resolve(dirname(p), readlinkSync(p));
  }
  // Too many links: the write itself fails with ELOOP and says so.
  return { path, through: true };
}

/**
 * Writes a file through a temporary file in the same folder and a rename:
 * readers never see it half-written, and what was there stays until the new
 * one is whole. A symbolic link is followed (the file it points to is
 * replaced, the link stays); a FIFO or a device (`-o /dev/stdout`) is written
 * into, as a shell's `>` would, never replaced by a file. The temporary name is
 * short, so any name the folder can hold can be written. A failure is an
 * IoError naming the file (`path`, as the user gave it).
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const target = writeTarget(path);
  const tmp = join(dirname(target.path), `.seqc-${process.pid}-${temps++}.tmp`);
  try {
    if (target.through) writeFileSync(target.path, data);
    else {
      writeFileSync(tmp, data);
      renameSync(tmp, target.path);
    }
  } catch (e) {
    try {
      if (!target.through) rmSync(tmp, { force: true });
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
