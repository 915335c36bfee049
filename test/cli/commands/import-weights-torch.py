# The torch side of import-weights-torch.test.ts: one torch model with every
# layer kind seqc imports (nn.Embedding, a 2-layer bidirectional nn.LSTM,
# nn.Linear, a 2-layer nn.GRU, a bidirectional nn.RNN without biases), random
# weights, its state_dict saved as a training checkpoint, and its outputs (and
# each recurrent module's) on random tokens, which seqc must reproduce after
# `seqc import-weights --from torch`.
# Usage: python import-weights-torch.py OUT_DIR: writes OUT_DIR/combined.pt,
# OUT_DIR/expected.json and OUT_DIR/list.pt (a file that is not a state_dict).
import json
import sys

import torch
from torch import nn

out = sys.argv[1]
torch.manual_seed(0)
B, T, V = 3, 6, 7


class Combined(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 5)
        self.lstm = nn.LSTM(5, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.mid = nn.Linear(8, 3)
        self.gru = nn.GRU(3, 5, num_layers=2, batch_first=True)
        self.rnn = nn.RNN(5, 4, bidirectional=True, batch_first=True, bias=False)
        self.out = nn.Linear(8, V)

    def forward(self, x):
        a = self.lstm(self.emb(x))[0]
        g = self.gru(self.mid(a))[0]
        r = self.rnn(g)[0]
        return {"a2": a, "g2": g, "r": r, "logits": self.out(r)}


model = Combined()
with torch.no_grad():
    # Weights of a trained scale, so that the gates are away from their linear parts.
    for p in model.parameters():
        p.uniform_(-0.8, 0.8)
model.eval()
x = torch.randint(0, V, (B, T))
with torch.no_grad():
    values = model(x)

torch.save({"model_state_dict": model.state_dict(), "epoch": 3}, f"{out}/combined.pt")
torch.save([1, 2, 3], f"{out}/list.pt")
with open(f"{out}/expected.json", "w") as f:
    json.dump({"x": x.tolist(), "values": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in values.items()}}, f)
