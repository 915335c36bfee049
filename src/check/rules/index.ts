/** The rules `seqc check` runs, in order: structure first, then shapes. */
import { assignedOnce } from "./assigned-once.js";
import { initialisers } from "./initialisers.js";
import { modelHasLoss } from "./model-has-loss.js";
import { noRecursion } from "./no-recursion.js";
import { paramsUsed } from "./params-used.js";
import type { Rule } from "./rule.js";
import { shapes } from "./shapes.js";
import { singleOut } from "./single-out.js";
import { statementPlacement } from "./statement-placement.js";
import { statesUpdated } from "./states-updated.js";
import { targetsUsed } from "./targets-used.js";
import { trainSettings } from "./train-settings.js";
import { uniqueNames } from "./unique-names.js";

export const RULES: readonly Rule[] = [
  uniqueNames,
  statementPlacement,
  singleOut,
  statesUpdated,
  assignedOnce,
  noRecursion,
  initialisers,
  paramsUsed,
  modelHasLoss,
  targetsUsed,
  trainSettings,
  shapes,
];
