import { describe, expect, it } from "vitest";
import { FORMATS, render, renderGithub, renderHuman, renderJson, renderSarif } from "../../../src/diagnostics/render/index.js";
import { addError, SOURCES } from "./fixtures.js";

describe("render", () => {
  const diags = [addError()];

  it("knows every format", () => {
    expect([...FORMATS].sort()).toEqual(["github", "human", "json", "sarif"]);
  });

  it("dispatches to the renderer of the format", () => {
    expect(render("human", diags, SOURCES, { color: true })).toBe(renderHuman(diags, SOURCES, { color: true }));
    expect(render("json", diags, SOURCES)).toBe(renderJson(diags, SOURCES));
    expect(render("sarif", diags, SOURCES, { toolVersion: "9.9.9" })).toBe(renderSarif(diags, SOURCES, { toolVersion: "9.9.9" }));
    expect(render("github", diags, SOURCES)).toBe(renderGithub(diags, SOURCES));
  });

  it("defaults to no color", () => {
    expect(render("human", diags, SOURCES)).not.toContain("\x1b");
  });
});
