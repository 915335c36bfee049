/**
 * `node:module` in the browser bundle. seqc requires @babel/code-frame lazily
 * (src/diagnostics/render/human.ts: a clean check should not load it); here
 * it is bundled, and `require` hands it over. Nothing else is required:
 * grammar/chevrotain.ts asks `require.resolve` for chevrotain's single-file
 * bundle and, when that throws, imports the package (which esbuild bundles).
 */
import * as codeFrame from "@babel/code-frame";

const BUNDLED: Record<string, unknown> = { "@babel/code-frame": codeFrame };

export function createRequire(_from: string | URL) {
  const require = (id: string): unknown => {
    if (id in BUNDLED) return BUNDLED[id];
    throw new Error(`${id} is not in seqc's browser bundle`);
  };
  require.resolve = (id: string): never => {
    throw new Error(`${id}: the browser bundle resolves no modules`);
  };
  return require;
}
