/**
 * Well-known layers, activations and losses that seqc's language does not
 * have (yet), by the names users reach for: an unknown fn of one of these
 * names says so, and what to write instead, rather than only "unknown".
 */
const NOT_YET = "is not in the language yet";

/** Name -> what the message adds, and the help (what to write instead), if there is one. */
export const MISSING_OPS: Readonly<Record<string, { what: string; help?: string }>> = {
  zoneout: { what: `zoneout ${NOT_YET}` },
  layernorm: { what: "layer normalisation is the standard library's fn `layer_norm`", help: "write `layer_norm(x)` (a learned gain and bias per unit)" },
  batchnorm: { what: "batch normalisation is the standard library's fn `batch_norm`", help: "write `batch_norm(x)` (batch statistics while training, running ones in eval; a learned gain and bias per unit)" },
  gelu: { what: `gelu ${NOT_YET}`, help: "write it from builtin ops, e.g. the tanh form: `0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x)))`" },
  silu: { what: `silu ${NOT_YET}`, help: "write it from builtin ops: `x * sigmoid(x)`" },
  swish: { what: `swish ${NOT_YET}`, help: "write it from builtin ops: `x * sigmoid(x)`" },
  softsign: { what: `softsign ${NOT_YET}`, help: "write it from builtin ops: `x / (1 + abs(x))`" },
  hard_sigmoid: { what: `hard_sigmoid ${NOT_YET}`, help: "write it from builtin ops: `maximum(0, minimum(1, 0.2 * x + 0.5))`" },
  huber: { what: "a huber loss is not a builtin", help: "write it as a loss expression, with delta 1: `loss sum(minimum(abs(p - y), 1) * (abs(p - y) - 0.5 * minimum(abs(p - y), 1)))`" },
  mae: { what: "a mean absolute error loss is not a builtin", help: "write it as a loss expression: `loss mean(abs(p - y))`" },
  l1: { what: "an L1 loss is not a builtin", help: "write it as a loss expression: `loss sum(abs(p - y))`" },
  nll: { what: `an nll loss on log-probabilities ${NOT_YET}`, help: "cross_entropy takes the scores (logits) and applies the softmax itself" },
  attention: { what: `attention is not a builtin`, help: "write it as specs/seq2seq_attention.seq does: scores of the memory against the state, softmax, a weighted sum" },
};
