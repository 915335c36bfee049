/**
 * Specs whose names, strings, comments and file name would break the
 * TypeScript the ts target writes if it quoted them carelessly (see
 * injection.test.ts, which runs them, and strict.test.ts, which type-checks
 * their output with every other).
 */
export const LS = "\u2028";
export const PS = "\u2029";

/** Spec text from a template where <LS>, <PS>, <D> and <BT> stand for U+2028, U+2029, $ and a backtick (so that this file stays plain). */
export const spec = (t: string): string => t.replace(/<LS>/g, LS).replace(/<PS>/g, PS).replace(/<D>/g, "$").replace(/<BT>/g, "`");

/** Tokens as the spec writes them (inside the quotes), and the strings they stand for. */
export const TOKENS: [written: string, value: string][] = [
  [String.raw`a\"b`, 'a"b'],
  [String.raw`\"`, '"'],
  [String.raw`back\\slash`, "back\\slash"],
  ["*/", "*/"],
  ["/*", "/*"],
  ["<D>{x}", "${x}"],
  ["<BT>tick<BT>", "`tick`"],
  ["<BT>; throw 1; //", "`; throw 1; //"],
  [String.raw`new\nline`, "new\nline"],
  [String.raw`tab\t`, "tab\t"],
  [String.raw`\u2028sep`, `${LS}sep`],
  [`raw<LS>sep`, `raw${LS}sep`],
  [String.raw`para\u2029`, `para${PS}`],
  [`raw<PS>para`, `raw${PS}para`],
  ["\u00e9\u20ac\u{1f600}", "\u00e9\u20ac\u{1f600}"],
  [String.raw`\ud800`, "\ud800"],
  [String.raw`nul\u0000`, "nul\u0000"],
  [" ", " "],
  [String.raw`\\u0041`, "\\u0041"],
  ["__proto__", "__proto__"],
  ["constructor", "constructor"],
  [String.raw`*/\u2028<BT><D>{x}<BT>`, `*/${LS}\`\${x}\``],
];
/** Unquoted tokens (names and numbers) after the strings. */
export const BARE: [written: string, value: string][] = [
  ["new", "new"],
  ["toString", "toString"],
  ["12", "12"],
];
export const STOP = `*/${LS}\`\${x}\``;

/**
 * Keywords and the emitted class's members as names of cells, params,
 * states, dims, vocabularies, inputs, targets and model values; raw U+2028
 * and U+2029 in comments, on lines that the emitted comments quote.
 */
export const KEYWORDS = spec(`# Names that JavaScript or the emitted code use. */ /* <D>{x} <BT> raw U+2028 [<LS>] and U+2029 [<PS>]
cell toString<valueOf>(hasOwnProperty: [X]) -> [valueOf] {
  param constructor: [valueOf, X + valueOf] = glorot  # */ <BT><D>{ [<LS>] ends a // comment
  param __proto__: [valueOf] = zeros
  param prototype: [valueOf, valueOf] = orthogonal
  state this: [valueOf] = 0
  this' = tanh(constructor @ concat(hasOwnProperty, this) + __proto__ + prototype @ this)  # [<PS>] too
  out this'
}

fn gemm<F>(x: [D]) -> [F] {
  param INFO: [F, D] = glorot
  param unit: [F] = 0.1
  out INFO @ x + unit
}

model class {
  vocab constructor[__proto__] = [${[...TOKENS.map(([w]) => `"${w}"`), ...BARE.map(([w]) => w)].join(", ")}]
  dim this
  input new: [this] of constructor
  input Math: [this, 2]
  target return: [this] of constructor
  target F: [this, 1]
  params = gemm<3>(concat(one_hot(new), Math))  # */ <D>{x} <BT> [<LS>] }
  grads = toString<4>(params)
  layout = dense<__proto__>(grads)
  info = sigmoid(gemm<1>(grads))
  init = info * 1
  forward = first(grads)
  initial = dense<1>(forward)
  B = mean(initial)
  loss cross_entropy(layout, return)
  loss mse(init, F)
  loss mse(B, B * 0)
  feedback new from layout until "${STOP}"
  train { optimizer: adam(lr: 0.01), batch: 2, epochs: 1 }
}
`);

/** Object.prototype's names as a free length dim and a data vocabulary's size dim (a plain object's `in` sees them). */
export const PROTO_DIMS = spec(`model toString {
  vocab hasOwnProperty[constructor]  # from the data; its size dim is "constructor"
  dim __proto__
  input valueOf: [__proto__] of hasOwnProperty
  target prototype: [__proto__] of hasOwnProperty
  __defineGetter__ = elman<4>(one_hot(valueOf))
  isPrototypeOf = dense<constructor>(__defineGetter__)
  loss cross_entropy(isPrototypeOf, prototype)
}
`);

/** A file name with a line break, a comment end, a template hole and U+2028 (it is quoted in the emitted comments and INFO). */
export const FILE = spec("we\"ird */ <D>{x} <BT>\n<LS>name.seq");
