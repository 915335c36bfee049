import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { allArtefacts, ARTEFACT_PATHS, syntaxDiagramsSource } from "../../grammar/artefacts.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function onDisk(path: string): string | undefined {
  try {
    return readFileSync(join(ROOT, path), "utf8");
  } catch {
    return undefined;
  }
}

/** Where two texts first differ, for a short failure message instead of a diff of the whole file. */
function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: on disk ${JSON.stringify(la[i] ?? "<end>")}, generated ${JSON.stringify(lb[i] ?? "<end>")}`;
  }
  return "no line differs";
}

describe("generated grammar artefacts", () => {
  const artefacts = allArtefacts();

  it("covers every artefact path", () => {
    expect(artefacts.map((a) => a.path).sort()).toEqual(Object.values(ARTEFACT_PATHS).sort());
  });

  it.each(artefacts.map((a) => [a.path, a.text] as const))("%s is up to date", (path, text) => {
    const old = onDisk(path);
    if (old === undefined) expect.fail(`${path} is missing: run \`npm run gen\``);
    if (old !== text) expect.fail(`${path} is stale: run \`npm run gen\` (${firstDifference(old, text)})`);
  });

  it("generation is deterministic", () => {
    expect(allArtefacts()).toEqual(artefacts);
  });
});

describe("syntax-diagram page", () => {
  const html = syntaxDiagramsSource();

  it("references no remote resource", () => {
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/(?:src|href)\s*=\s*['"]?\/\//i);
  });

  it("loads its scripts and styles from files that exist next to it (offline)", () => {
    const refs = [...html.matchAll(/(?:src|href)\s*=\s*['"]([^'"]+)['"]/gi)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    const base = dirname(join(ROOT, ARTEFACT_PATHS.diagrams));
    for (const ref of refs) {
      expect(ref, ref).not.toMatch(/^[a-z]+:/i);
      expect(existsSync(resolve(base, ref)), `${ref} (relative to grammar/generated/) does not exist`).toBe(true);
    }
  });

  it("contains every rule of the grammar", () => {
    for (const rule of ["file", "modelDecl", "defDecl", "statement", "expression", "application", "withClause"]) {
      expect(html).toContain(`"name": "${rule}"`);
    }
  });
});
