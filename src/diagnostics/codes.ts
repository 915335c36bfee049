/**
 * The table of diagnostic codes. Codes are stable: a code, once released, keeps
 * its meaning. Groups: 00xx syntax and files, 01xx names and structure of the
 * spec, 02xx dimensions, 03xx shapes, 04xx cells, models and parameters,
 * 05xx training settings.
 */
export interface CodeInfo {
  severity: "error" | "warning";
  /** A short name for the rule, used as the SARIF rule name. */
  title: string;
  /** Default help shown under the message. */
  help?: string;
}

export const CODES = {
  SEQ0001: { severity: "error", title: "unexpected-character", help: "remove the character; comments start with #" },
  SEQ0002: { severity: "error", title: "syntax-error" },
  SEQ0003: { severity: "error", title: "import-not-found", help: "import paths are relative to the importing file" },
  SEQ0004: { severity: "error", title: "import-cycle", help: "move the shared definitions into a third file that both import" },
  SEQ0005: { severity: "error", title: "ir-schema", help: "the spec lowered to an IR that its JSON Schema rejects" },
  SEQ0006: { severity: "error", title: "number-out-of-range", help: "numbers must be finite; integers must be below 2^31" },

  SEQ0101: { severity: "error", title: "unknown-name" },
  SEQ0102: { severity: "error", title: "unknown-function", help: "see `seqc --help` and the standard library in src/std/ for what exists" },
  SEQ0103: { severity: "error", title: "duplicate-definition" },
  SEQ0104: { severity: "error", title: "wrong-argument-count" },
  SEQ0105: { severity: "error", title: "unknown-option" },
  SEQ0106: { severity: "error", title: "statement-not-allowed-here" },
  SEQ0107: { severity: "error", title: "unknown-initialiser", help: "initialisers: zeros, ones, glorot, orthogonal, uniform(scale), normal(std), or a number" },
  SEQ0108: { severity: "error", title: "bad-prime", help: "only a state has a next value (h' = ...); read it back as h' after assigning it" },
  SEQ0109: { severity: "error", title: "used-before-defined" },
  SEQ0110: { severity: "error", title: "recursive-definition", help: "cells and functions cannot call themselves; a cell's recurrence is written with states" },
  SEQ0111: { severity: "error", title: "not-a-tensor", help: "a value of this kind cannot be used in an expression" },
  SEQ0112: { severity: "error", title: "bad-option-value" },
  SEQ0113: { severity: "error", title: "not-a-value", help: "this name is not a tensor here (a dim, a vocabulary, a cell or a function name?)" },
  SEQ0114: { severity: "error", title: "model-too-large", help: "nested repeat<N> multiplies: a model may have at most 100,000 parameter tensors" },

  SEQ0201: { severity: "error", title: "unknown-dim", help: "declare it with `dim NAME` (free) or `dim NAME = 128` (bound)" },
  SEQ0202: { severity: "error", title: "not-divisible" },
  SEQ0203: { severity: "error", title: "dim-not-positive" },
  SEQ0204: { severity: "error", title: "bad-dim-expression", help: "dimensions are built from integers, dim names, + - * and exact /" },

  SEQ0301: { severity: "error", title: "broadcast-mismatch", help: "elementwise operands must have equal shapes, or broadcast: trailing axes are aligned, and an axis of size 1 or a missing leading axis stretches" },
  SEQ0302: { severity: "error", title: "matmul-mismatch", help: "A @ B needs the last axis of A to equal the first axis of B (the one axis of a vector)" },
  SEQ0303: { severity: "error", title: "argument-shape-mismatch" },
  SEQ0304: { severity: "error", title: "rank-mismatch" },
  SEQ0305: { severity: "error", title: "window-does-not-fit", help: "the output size (N + 2P - D*(F-1) - 1)/S + 1 must be a whole number of at least 1" },
  SEQ0306: { severity: "error", title: "next-state-shape" },
  SEQ0307: { severity: "error", title: "split-arity" },
  SEQ0308: { severity: "error", title: "loss-target-mismatch" },
  SEQ0309: { severity: "error", title: "concat-mismatch", help: "concat joins on the last axis; all other axes must agree" },
  SEQ0310: { severity: "error", title: "output-type-mismatch" },
  SEQ0311: { severity: "error", title: "token-type-mismatch", help: "token inputs (`[T] of vocab`) are integers: turn them into vectors with one_hot(x) or embedding" },
  SEQ0313: { severity: "error", title: "repeat-shape-mismatch", help: "repeat<N> feeds each output to the next copy, so output and input shapes must agree" },
  SEQ0314: { severity: "error", title: "initial-state-mismatch" },
  SEQ0315: { severity: "error", title: "feedback-mismatch", help: "`feedback x from logits` needs x to be a token input and logits to score that vocabulary at every step, or x a real-valued input and the source of x's shape" },
  SEQ0316: { severity: "error", title: "loss-not-scalar", help: "reduce it to one number per example: sum(x) and mean(x) drop the time axis, sum(x, axis: k) another; mse, cross_entropy, bce and bce_logits sum over time and units themselves" },
  SEQ0317: { severity: "error", title: "const-shape-mismatch", help: "write one nested list per axis: `const m: [2, 3] = [[1, 0, 1], [0, 1, 0]]`; the shape's dims must be bound" },
  SEQ0318: { severity: "error", title: "running-statistics", help: "write batch normalisation as the standard library's `batch_norm(x)`, or pass batch_normalize two params of your fn that nothing else reads: `param running_mean: [C] = zeros`, `param running_var: [C] = ones`" },

  SEQ0401: { severity: "error", title: "unused-parameter", help: "a parameter that never reaches the output gets no gradient; use it or remove it" },
  SEQ0402: { severity: "error", title: "state-not-updated", help: "give the state its next value with `NAME' = ...`" },
  SEQ0403: { severity: "error", title: "missing-out", help: "a cell or fn ends with exactly one `out EXPR`" },
  SEQ0404: { severity: "error", title: "assigned-twice" },
  SEQ0405: { severity: "error", title: "model-without-loss", help: "add `loss mse(prediction, target)` or another loss" },
  SEQ0406: { severity: "error", title: "unused-target", help: "every target must appear in a loss" },

  SEQ0501: { severity: "error", title: "unknown-train-setting" },
  SEQ0502: { severity: "error", title: "bad-train-value" },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export const ALL_CODES = Object.keys(CODES) as Code[];
