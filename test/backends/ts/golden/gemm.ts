// Lets `npm run typecheck` check the golden model against the runtime it is emitted for.
export * from "../../../../src/runtime/gemm.js";
