/** `node:url` in the browser bundle: only for files on disk, which a browser has none of (see node-fs.ts). */
export function fileURLToPath(url: string | URL): never {
  throw new Error(`seqc in the browser has no file for ${String(url)}`);
}

export function pathToFileURL(path: string): never {
  throw new Error(`seqc in the browser has no file ${path}`);
}
