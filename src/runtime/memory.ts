/**
 * What training a model needs in memory, known before anything is allocated:
 * its parameters, their gradients and the optimizer's slots for each (activations
 * come on top). A model whose parameters alone need more than the limit
 * (`--max-memory`, in GB) is refused with the figure, instead of running out of
 * memory after minutes (or of the WebAssembly heap's 4 GB).
 *
 * Runtime file: imports only its siblings.
 */
import { UsageError } from "./errors.js";
import type { OptimizerName } from "./settings.js";

/** The limit when none is given, in GB (2^30 bytes). */
export const DEFAULT_MAX_MEMORY_GB = 4;

/** Values each optimizer keeps per parameter, besides the parameter and its gradient. */
export const OPTIMIZER_SLOTS: Record<OptimizerName, number> = { sgd: 0, momentum: 1, adam: 2, rmsprop: 1 };

/** Bytes for the parameters, their gradients and the optimizer's slots. */
export function trainingBytes(params: number, bytesPerValue: number, optimizer: OptimizerName): number {
  return params * bytesPerValue * (2 + OPTIMIZER_SLOTS[optimizer]);
}

const size = (bytes: number) => (bytes < 2 ** 20 ? `${bytes} bytes` : bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 2 ** 30).toFixed(1)} GB`);

/** Refuses (a UsageError, exit 2) a model whose parameters need more than `maxGb` to train. */
export function checkTrainingMemory(model: string, params: number, bytesPerValue: number, optimizer: OptimizerName, maxGb = DEFAULT_MAX_MEMORY_GB): void {
  const bytes = trainingBytes(params, bytesPerValue, optimizer);
  if (bytes <= maxGb * 2 ** 30) return;
  const slots = OPTIMIZER_SLOTS[optimizer];
  throw new UsageError(
    `model ${model} has ${params.toLocaleString("en-US")} parameters: training it needs at least ${size(bytes)} (${bytesPerValue}-byte values for the parameters, their gradients${slots > 0 ? ` and ${optimizer}'s ${slots} slot${slots > 1 ? "s" : ""} each` : ""}), more than --max-memory ${maxGb} GB; use smaller dims, or give a larger --max-memory`,
  );
}

/** Reads --max-memory: a number of GB > 0. */
export function maxMemoryOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_MEMORY_GB;
  if (!(value > 0) || !Number.isFinite(value)) throw new UsageError(`--max-memory ${value}: a number of GB > 0`);
  return value;
}
