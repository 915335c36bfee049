/**
 * chevrotain, loaded from its single-file bundle when present. The package entry
 * loads some two hundred modules (~200 ms at start-up); the bundle, which the
 * package ships but does not export, loads in ~10 ms. `seqc check` must start
 * fast, so every other module imports chevrotain's values from here.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function load(): Promise<Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve("chevrotain");
    const bundle = join(dirname(entry), "..", "chevrotain.min.mjs");
    if (existsSync(bundle)) return (await import(pathToFileURL(bundle).href)) as Chevrotain;
  } catch {
    // fall through to the package entry
  }
  return await import("chevrotain");
}

const chevrotain = await load();

export const { createToken, Lexer, CstParser, EOF, createSyntaxDiagramsCode, generateCstDts } = chevrotain;
