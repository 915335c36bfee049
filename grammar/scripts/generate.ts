/** Regenerates the grammar artefacts (`npm run gen`); with --check, exits 1 if any is stale. */
import { regenerate } from "../../scripts/regenerate.js";
import { allArtefacts } from "../artefacts.js";

const check = process.argv.includes("--check");
let stale = 0;
for (const { path, text } of allArtefacts()) if (!regenerate(path, text, check, "npm run gen")) stale++;
process.exitCode = stale > 0 ? 1 : 0;
