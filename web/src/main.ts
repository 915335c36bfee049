/**
 * The playground page: a spec typed (or picked from the shipped specs) is
 * checked as it is typed, after a pause (the language server's debounce), and
 * the page shows its diagnostics, summary and diagrams (analyse.ts; src/graph/svg.ts draws).
 */
import { SPECS, STD } from "seqc-web:sources";
import { Debouncer } from "../../src/lsp/debounce.js";
import { analyse, SPEC_FILE, type Analysis } from "./analyse.js";
import { dotToSvg } from "../../src/graph/svg.js";

/** Milliseconds of quiet typing before a check. */
const DELAY = 250;
/** The spec shown first. */
const FIRST = "mlp_xor.seq";

const files = { std: STD, specs: new Map(SPECS) };

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const editor = element<HTMLTextAreaElement>("spec");
const gutter = element<HTMLPreElement>("gutter");
const picker = element<HTMLSelectElement>("picker");
const status = element<HTMLElement>("status");
const diagnosticsPane = element<HTMLPreElement>("diagnostics");
const summaryPane = element<HTMLPreElement>("summary");
const diagramPane = element<HTMLElement>("diagram");

/** Line numbers beside the text, the lines with an error marked. */
function drawGutter(errorLines: ReadonlySet<number> = new Set()): void {
  const count = editor.value.split("\n").length;
  gutter.replaceChildren(
    ...Array.from({ length: count }, (_, i) => {
      const line = document.createElement("span");
      line.textContent = `${i + 1}\n`;
      line.dataset.line = String(i + 1);
      if (errorLines.has(i + 1)) line.className = "error";
      return line;
    }),
  );
  gutter.scrollTop = editor.scrollTop;
}

/** Each check has a number; a diagram drawn for an older text than the last is dropped. */
let generation = 0;

async function show(a: Analysis, at: number): Promise<void> {
  const errors = a.diagnostics.filter((d) => d.severity === "error");
  drawGutter(new Set(errors.filter((d) => d.file === SPEC_FILE && d.line !== null).map((d) => d.line!)));
  diagnosticsPane.textContent = a.report || "no problems";
  diagnosticsPane.classList.toggle("error", errors.length > 0);
  diagnosticsPane.classList.toggle("ok", a.diagnostics.length === 0);
  summaryPane.textContent = a.summary || "(the spec does not check)";
  const warnings = a.diagnostics.length - errors.length;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  status.textContent = errors.length > 0 ? count(errors.length, "error") : warnings > 0 ? `checks, ${count(warnings, "warning")}` : "checks";
  if (a.models.length === 0) {
    diagramPane.replaceChildren();
    return;
  }
  const figures = await Promise.all(
    a.models.map(async (m) => {
      const figure = document.createElement("figure");
      const caption = document.createElement("figcaption");
      caption.textContent = `model ${m.name}`;
      figure.append(caption);
      if (m.dot === undefined) {
        const why = document.createElement("pre");
        why.textContent = `no diagram: ${m.error}`;
        figure.append(why);
      } else {
        figure.insertAdjacentHTML("beforeend", await dotToSvg(m.dot));
      }
      return figure;
    }),
  );
  if (at === generation) diagramPane.replaceChildren(...figures);
}

function check(): void {
  const at = ++generation;
  show(analyse(editor.value, files), at).catch((e: unknown) => {
    status.textContent = `the page failed: ${e instanceof Error ? e.message : String(e)}`;
  });
}

const debouncer = new Debouncer(DELAY);

for (const [name] of SPECS) picker.add(new Option(name, name, name === FIRST, name === FIRST));
picker.addEventListener("change", () => {
  editor.value = files.specs.get(picker.value) ?? "";
  check();
});
editor.addEventListener("input", () => {
  drawGutter();
  debouncer.schedule("spec", check);
});
editor.addEventListener("scroll", () => {
  gutter.scrollTop = editor.scrollTop;
});
editor.value = files.specs.get(FIRST) ?? "";
check();
