/**
 * Parameter initialisation shared by every target: the seeded generator and
 * the initialisers of the language. The code lives in the ts target's runtime
 * (src/backends/ts/runtime/init.ts, copied verbatim into emitted trainers), so
 * a seed gives the same starting weights in the tfjs target and in emitted
 * TypeScript by construction.
 */
export { fans, initialValues, paramSeed, Rng } from "./ts/runtime/init.js";
