/** The diagnostic output formats and one entry point to render any of them. */
import type { Diagnostic, Sources } from "../diagnostic.js";
import { renderGithub } from "./github.js";
import { renderHuman } from "./human.js";
import { renderJson } from "./json.js";
import { renderSarif } from "./sarif.js";

export { renderGithub, renderHuman, renderJson, renderSarif };
export type { HumanOptions } from "./human.js";
export type { JsonReport } from "./json.js";
export type { SarifOptions } from "./sarif.js";

export type Format = "human" | "json" | "sarif" | "github";

export interface RenderOptions {
  /** For "human": use ANSI colors (default false). */
  color?: boolean;
  /** For "sarif": the seqc version (default "0.0.0"). */
  toolVersion?: string;
}

type Renderer = (diags: readonly Diagnostic[], sources: Sources, opts: RenderOptions) => string;

const RENDERERS: Record<Format, Renderer> = {
  human: (diags, sources, opts) => renderHuman(diags, sources, { color: opts.color ?? false }),
  json: (diags, sources) => renderJson(diags, sources),
  sarif: (diags, sources, opts) => renderSarif(diags, sources, { toolVersion: opts.toolVersion ?? "0.0.0" }),
  github: (diags, sources) => renderGithub(diags, sources),
};

/** Every format, e.g. for a `--format` option's choices. */
export const FORMATS: readonly Format[] = Object.keys(RENDERERS) as Format[];

/** Renders diagnostics in the given format; `sources` maps file names to their text. */
export function render(format: Format, diags: readonly Diagnostic[], sources: Sources, opts: RenderOptions = {}): string {
  return RENDERERS[format](diags, sources, opts);
}
