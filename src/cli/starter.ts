/**
 * What `seqc init` writes: a starter spec and a text to train it on. The spec
 * is a character-level LSTM language model with the cell written out as the
 * lecture notes write it (candidate memory, update, forget and output gates);
 * the text is short enough that an epoch takes seconds and long enough that
 * 30 epochs sample recognisable words. test/cli/init.test.ts checks the spec,
 * trains it on the text and samples it.
 */

/** model.seq. */
export const STARTER_SPEC = `# A character-level language model (seqc init): an LSTM reads a text one
# character at a time and scores every character of the vocabulary as the next,
#   P(y<1>, ..., y<T>) = P(y<1>) P(y<2> | y<1>) ... P(y<T> | y<1>, ..., y<T-1>),
# with the input x<t> = y<t-1> and the loss L = sum_t L<t>(y-hat<t>, y<t>),
# the cross-entropy at every step.
#
#   seqc check model.seq
#   seqc train model.seq --data data.txt -o out
#   seqc sample out --prime "The " --temperature 0.8
# The LSTM cell, written as its equations, with a = a<t-1>, c = c<t-1>, x = x<t>:
#   c~  = tanh(Wc [a, x] + bc)         the candidate memory
#   Gu  = sigmoid(Wu [a, x] + bu)      update gate
#   Gf  = sigmoid(Wf [a, x] + bf)      forget gate
#   Go  = sigmoid(Wo [a, x] + bo)      output gate
#   c<t> = Gu * c~ + Gf * c<t-1>
#   a<t> = Go * tanh(c<t>)
# (std/recurrent.seq has the same cell as \`lstm\`, its four gates in one product.)
cell lstm_cell<A>(x: [X]) -> [A] {
  param Wc: [A, A + X] = glorot
  param Wu: [A, A + X] = glorot
  param Wf: [A, A + X] = glorot
  param Wo: [A, A + X] = glorot
  param bc: [A] = zeros
  param bu: [A] = zeros
  param bf: [A] = ones  # remember by default at the start of training
  param bo: [A] = zeros
  state a: [A] = 0
  state c: [A] = 0
  let ax = concat(a, x)
  let c_tilde = tanh(Wc @ ax + bc)
  let gamma_u = sigmoid(Wu @ ax + bu)
  let gamma_f = sigmoid(Wf @ ax + bf)
  let gamma_o = sigmoid(Wo @ ax + bo)
  c' = gamma_u * c_tilde + gamma_f * c
  a' = gamma_o * tanh(c')
  out a'
}

model char_lm {
  vocab chars[V]  # the characters of the training text
  dim T  # any length: the text is cut into pieces of the bptt window
  input x: [T] of chars  # x<t> = y<t-1>
  target y: [T] of chars  # the next character

  a = lstm_cell<A=64>(one_hot(x))  # [T, 64]: a<t> for every step
  logits = dense<V>(a)  # [T, V]: y-hat<t> = softmax(logits<t>)
  loss cross_entropy(logits, y)

  feedback x from logits  # sampling: the character drawn at t is the input at t+1
  train {
    optimizer: adam(lr: 0.01)
    batch: 16
    epochs: 30
    clip: 5  # exploding gradients: clip their global norm
    bptt: 32  # truncated BPTT: the state carries across windows of 32 steps
    validation: 0.1
    seed: 1
  }
}
`;

/** data.txt. */
export const STARTER_DATA = `THE MILL ON THE RIVER

There was a mill on the river, and the river turned the wheel, and the wheel
turned the stones, and the stones turned the grain into flour. The miller was
an old man with white hands and a white beard, and in the evening, when the
wheel was still, he sat by the door and watched the water go by.

The water never stopped. In the spring it was brown and fast and full of the
snow from the hills. In the summer it was clear and slow, and the children
came down to the bank to throw stones and count the rings. In the autumn it
carried the leaves, red and yellow, past the mill and under the bridge and
away to the sea. In the winter it was black and cold, and the ice made a
white edge along the stones.

The miller knew the sound of the river the way a man knows the voice of a
friend. When the water was high, the wheel sang a low song. When the water
was low, the wheel knocked and creaked and complained. He could tell the
season with his eyes closed, and he could tell the weather for the next day
by the smell of the air on the water.

One year the rain did not come. The river grew thin, and then thinner, and
the wheel turned slowly, and then it did not turn at all. The farmers brought
their grain and the miller sent them home again. The children came down to
the bank and found the stones dry. The old man sat by the door in the
evening and listened, but there was nothing to hear.

Then, late in the summer, a cloud came over the hills. It was small at first,
and grey, and then it was large and dark, and the wind came before it and
bent the grass. The rain fell all night. In the morning the river was brown
and fast, and the wheel was turning, and the stones were turning, and the
miller stood in the door with flour on his hands and laughed.

The farmers came back with their grain. The children came back to the bank.
The water went by the mill and under the bridge and away to the sea, as it
always had, and the old man watched it go.

He said to his grandson, who was small and asked many questions, that a
river is a kind of story. It begins in one place and ends in another, and it
is never the same water twice, and yet it is always the same river. The boy
asked how that could be. The miller said that he did not know, but that he
had watched it for sixty years, and it was so.

The boy grew up and went away to the city, and then he came back, and the
mill was his. He sat by the door in the evening and watched the water go by.
He knew the sound of the river the way a man knows the voice of a friend.
`;
