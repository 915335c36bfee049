"""PyTorch contender of bench/lm.ts: the char-LM LSTM (one-hot input, nn.LSTM,
nn.Linear, softmax cross-entropy, Adam), driven over stdin/stdout so that it
can be interleaved with in-process contenders. One JSON object per line in,
one per line out; every reply carries this process's CPU time
(time.process_time, all threads) and wall time of the command.

Commands (field "cmd"):
  init     B T V H lr seed [weights]: a new model; weights (optional) are flat
           lists in PyTorch's layout (w_ih [4H,V], w_hh [4H,H], b [4H], the
           second LSTM bias being 0, dense_w [V,H], dense_b [V])
  batch    x y: token ids (B*T each, row-major [B, T]) used by "step"
  step     n: n training steps on the batch; replies with the first and last loss
  train    ids (a file of little-endian int32 token ids), budget (seconds):
           the ids as B streams cut into windows of T, states carried across
           windows, one update per window, until the budget is spent
  eval     ids: mean cross-entropy (nats per token) over the file laid out as in train
  rss      the peak resident set size in KiB (resource.getrusage)
  init replies with the parameter count (without the second LSTM bias) and the BLAS library loaded
  quit

Losses are in seqc's scale: summed over time, averaged over the batch.
Run with OPENBLAS_NUM_THREADS=1 (set by bench/lm.ts) and torch.set_num_threads(1).
"""
import array
import json
import resource
import sys
import time

import torch

torch.set_num_threads(1)


class CharLm(torch.nn.Module):
    def __init__(self, V, H):
        super().__init__()
        self.V = V
        self.lstm = torch.nn.LSTM(V, H, batch_first=True)
        self.dense = torch.nn.Linear(H, V)

    def forward(self, x, y, state):
        h, state = self.lstm(torch.nn.functional.one_hot(x, self.V).float(), state)
        logits = self.dense(h)
        # seqc's cross_entropy: summed over time, averaged over the batch.
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, self.V), y.reshape(-1), reduction="sum") / x.shape[0]
        return loss, state


def streams(path, B, T):
    """The ids of a file as B streams of whole windows: (inputs, targets) per window, each [B, T]."""
    ids = array.array("i")
    with open(path, "rb") as f:
        ids.frombytes(f.read())
    if sys.byteorder != "little":
        ids.byteswap()
    n = (len(ids) - 1) // (B * T) * T
    data = torch.tensor(ids, dtype=torch.long)
    x = data[: B * n].reshape(B, n)
    y = data[1 : B * n + 1].reshape(B, n)
    return [(x[:, t : t + T], y[:, t : t + T]) for t in range(0, n, T)]


def blas():
    """The BLAS library this process loaded (Debian's torch takes libblas.so.3: OpenBLAS, or the slow reference one)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.split()[-1].lower()}
        return ", ".join(sorted(libs)) or "none found"
    except OSError:
        return "unknown"


class Session:
    def __init__(self):
        self.model = None

    def init(self, c):
        torch.manual_seed(c.get("seed", 1))
        self.B, self.T, self.V, self.H = c["B"], c["T"], c["V"], c["H"]
        self.model = CharLm(self.V, self.H)
        w = c.get("weights")
        if w is not None:
            with torch.no_grad():
                H, V = self.H, self.V
                self.model.lstm.weight_ih_l0.copy_(torch.tensor(w["w_ih"]).reshape(4 * H, V))
                self.model.lstm.weight_hh_l0.copy_(torch.tensor(w["w_hh"]).reshape(4 * H, H))
                self.model.lstm.bias_ih_l0.copy_(torch.tensor(w["b"]))
                self.model.lstm.bias_hh_l0.zero_()
                self.model.dense.weight.copy_(torch.tensor(w["dense_w"]).reshape(V, H))
                self.model.dense.bias.copy_(torch.tensor(w["dense_b"]))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=c["lr"])
        return {"params": sum(p.numel() for p in self.model.parameters()) - 4 * self.H, "blas": blas()}

    def update(self, x, y, state):
        loss, state = self.model(x, y, state)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item(), tuple(s.detach() for s in state)

    def batch(self, c):
        self.x = torch.tensor(c["x"], dtype=torch.long).reshape(self.B, self.T)
        self.y = torch.tensor(c["y"], dtype=torch.long).reshape(self.B, self.T)
        return {}

    def step(self, c):
        losses = []
        for _ in range(c["n"]):
            loss, _ = self.update(self.x, self.y, None)
            losses.append(loss)
        return {"first": losses[0], "last": losses[-1]}

    def train(self, c):
        wins = streams(c["ids"], self.B, self.T)
        t0 = time.perf_counter()
        state, steps, k = None, 0, 0
        while time.perf_counter() - t0 < c["budget"]:
            x, y = wins[k]
            _, state = self.update(x, y, state)
            steps += 1
            k += 1
            if k == len(wins):
                state, k = None, 0
        return {"steps": steps}

    def eval(self, c):
        wins = streams(c["ids"], self.B, self.T)
        state, total = None, 0.0
        with torch.no_grad():
            for x, y in wins:
                loss, state = self.model(x, y, state)
                total += loss.item()
        return {"nats": total / (len(wins) * self.T)}

    def rss(self, c):
        return {"kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def main():
    s = Session()
    for line in sys.stdin:
        c = json.loads(line)
        if c["cmd"] == "quit":
            break
        cpu0, wall0 = time.process_time(), time.perf_counter()
        try:
            r = getattr(s, c["cmd"])(c)
        except Exception as e:  # reported to the benchmark, which fails with it
            r = {"error": f"{type(e).__name__}: {e}"}
        r["cpu"] = time.process_time() - cpu0
        r["wall"] = time.perf_counter() - wall0
        sys.stdout.write(json.dumps(r) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
