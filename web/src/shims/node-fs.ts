/**
 * `node:fs` in the browser bundle: there is no disk. seqc reads files only
 * where it is given no text (the page gives the spec's text, its imports
 * through `readFile` and the standard library through `std`), so none of
 * these is called; if one ever is, it says so.
 */
function noDisk(name: string): never {
  throw new Error(`seqc in the browser reads no files (fs.${name} was called)`);
}

export const existsSync = (): boolean => noDisk("existsSync");
export const readdirSync = (): never => noDisk("readdirSync");
export const readFileSync = (): never => noDisk("readFileSync");
export const statSync = (): never => noDisk("statSync");
