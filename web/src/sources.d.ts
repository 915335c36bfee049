/** The texts web/build.ts bundles (read from the checkout when the page is built). */
declare module "seqc-web:sources" {
  import type { StdSources } from "../../src/ir/program.js";
  /** src/std/*.seq. */
  export const STD: StdSources;
  /** specs/*.seq by file name, in name order. */
  export const SPECS: [name: string, text: string][];
}
