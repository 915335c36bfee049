/**
 * A spec whose names and strings would break model.py if it quoted them
 * carelessly: Python's keywords and builtins, model.py's own names (self,
 * torch, S, nn, batch, dims, initial, Model, PARAMS), nn.Module's attributes
 * (eval, to, forward, training, _modules) as parts of parameter names, and
 * tokens with quotes, backslashes, triple quotes and astral characters; a
 * comment with triple quotes, a backslash and U+2028. pytorch.test.ts runs it
 * (with the ts target's hostile specs): it must run and agree with the ts target.
 */
export const PYTHON_HOSTILE = `# Python's words: def """ ''' \\ \u2028 end
cell self<torch>(lambda: [X]) -> [torch] {
  param def: [torch, X + torch] = glorot  # """ unterminated \\
  param None: [torch] = zeros
  state True: [torch] = 0
  True' = tanh(def @ concat(lambda, True) + None)
  out True'
}

fn eval<to>(forward: [D]) -> [to] {
  param training: [to, D] = glorot
  param _modules: [to] = 0.1
  out training @ forward + _modules
}

model Model {
  vocab PARAMS[S] = [a, "\\\\", "\\"\\"\\"", "'''", "\\u00e9\\ud83d\\ude00", "\\u0000"]
  dim nn
  input batch: [nn] of PARAMS
  target dims: [nn] of PARAMS
  initial = self<4>(one_hot(batch))
  print = eval<S>(initial)
  loss cross_entropy(print, dims)
}
`;

/** Its file name: a quote, a line break, triple quotes. */
export const PYTHON_FILE = 'py"thon\n""".seq';
