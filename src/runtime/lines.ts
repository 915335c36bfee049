/**
 * Reading a data file a chunk at a time: its lines, decoded from UTF-8 one
 * line at a time, without the whole file as one string or one buffer (a
 * corpus may be hundreds of MB). Runtime file: imports only its siblings and
 * Node built-ins.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { IoError, ioReason } from "./errors.js";

/** Bytes to read: a file, read a chunk at a time, or bytes already in memory. */
export type ByteSource = { path: string } | { bytes: Uint8Array };

/** Bytes read from a file at a time. */
export const CHUNK = 4 << 20;

/** The whole of a source's bytes (a file: IoError naming it when it cannot be read). */
export function bytesOf(src: ByteSource): Uint8Array {
  if ("bytes" in src) return src.bytes;
  try {
    return readFileSync(src.path);
  } catch (e) {
    throw new IoError(`cannot read ${src.path}: ${ioReason(e)}`);
  }
}

/**
 * Calls `f` with the successive chunks of a source, at most `size` bytes
 * each. A file's chunks share one buffer: `f` copies what it keeps. A file
 * that cannot be read is an IoError naming it.
 */
export function eachChunk(src: ByteSource, f: (chunk: Buffer) => void, size = CHUNK): void {
  if ("bytes" in src) {
    const all = Buffer.from(src.bytes.buffer, src.bytes.byteOffset, src.bytes.length);
    for (let at = 0; at < all.length; at += size) f(all.subarray(at, at + size));
    return;
  }
  const fail = (e: unknown) => new IoError(`cannot read ${src.path}: ${ioReason(e)}`);
  let fd: number;
  try {
    fd = openSync(src.path, "r");
  } catch (e) {
    throw fail(e);
  }
  try {
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      let got: number;
      try {
        got = readSync(fd, buf, 0, size, null);
      } catch (e) {
        throw fail(e);
      }
      if (got === 0) break;
      f(buf.subarray(0, got));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Each line of a source with its number (from 1), as `text.split(/\r?\n/)`
 * gives them, but read `chunkSize` bytes at a time: a line ends at `\n` (a
 * `\r` before it is dropped), a last line without one still counts, no line
 * follows a final newline, and a byte-order mark at the start is dropped.
 * Lines are cut at the byte `\n`, which is never part of a longer UTF-8
 * character, so a character split across chunks is decoded whole.
 */
export function eachLine(src: ByteSource, f: (line: string, n: number) => void, chunkSize = CHUNK): void {
  /** The bytes of a line begun in earlier chunks (copies: the chunk's buffer is reused). */
  let begun: Buffer[] = [];
  let n = 0;
  const emit = (last: Buffer, ended: boolean) => {
    let bytes = last;
    if (begun.length > 0) {
      bytes = Buffer.concat([...begun, last]);
      begun = [];
    }
    const end = ended && bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    let line = bytes.toString("utf8", 0, end);
    if (++n === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    f(line, n);
  };
  eachChunk(
    src,
    (chunk) => {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        emit(chunk.subarray(start, nl), true);
        start = nl + 1;
      }
      if (start < chunk.length) begun.push(Buffer.from(chunk.subarray(start)));
    },
    chunkSize,
  );
  if (begun.length > 0) emit(Buffer.alloc(0), false);
}
