/**
 * DOT text to SVG, by Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz,
 * whose ESM build carries the wasm inline: no network, no system Graphviz), for
 * `seqc graph` and the playground. Loaded on the first diagram, then shared.
 */
import type { Graphviz } from "@hpcc-js/wasm-graphviz";

let graphviz: Promise<Graphviz> | undefined;

/** The SVG Graphviz's `dot` layout draws for `dot`. */
export async function dotToSvg(dot: string): Promise<string> {
  // Imported when first needed: seqc's other commands never load it, and the playground's build bundles it on its
  // own (most of the page's bytes, web/dist/graphviz.js), fetched on the first diagram.
  graphviz ??= import("@hpcc-js/wasm-graphviz").then((m) => m.Graphviz.load());
  return (await graphviz).dot(dot, "svg");
}
