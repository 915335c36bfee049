/** Settings shared by the run-time schema compile (validate.ts) and the build-time standalone validator (standalone.ts). */
export const AJV_OPTIONS = { allErrors: true, strict: true } as const;

/** Name of the validator module that `npm run build` writes next to validate.js in dist/ (never into src/). */
export const STANDALONE_MODULE = "ir-validator.generated.js";
