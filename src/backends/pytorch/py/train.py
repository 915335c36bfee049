"""Trainer of the PyTorch model in model.py, written by `seqc compile --target pytorch` (python3 train.py --help).

    python3 train.py --data FILE [options]           train, then save a seqc model directory
    python3 train.py eval --model DIR --data FILE    loss and accuracy per step of a trained model
    python3 train.py sample --model DIR [--prime TEXT] [--length N] [--temperature X] [--seed N]

The same run on one CPU, on N processes or N GPUs, or on a cluster, under torchrun with DistributedDataParallel
(gloo on CPU, nccl on GPU):

    torchrun --nproc_per_node=2 train.py --data FILE --device cpu     # Debian's torchrun 1.13: see docs/pytorch-target.md

What must be the same in every seqc target runs seqc's own runtime (seqc_node/bridge.js, with Node 20 or later):
reading the data (JSONL, text, CSV) and its vocabularies, the initial weights of a seed, and model directories,
which rank 0 writes atomically at the end of epochs and at the end (so `seqc eval`, `seqc export`, the ts trainer's
--init read them). Batches are those of the ts trainer: examples of one length each (bucketing), shuffled by the
seed; each rank takes its share of every batch, and the gradient is that of the whole batch.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as M  # noqa: E402
import seqc_torch as S  # noqa: E402

INFO_PATH = os.path.join(HERE, "info.json")
with open(INFO_PATH, encoding="utf8") as f:
    INFO = json.load(f)
PROG = "train.py"
LOCK_FILE = ".seqc-lock"


class Failure(Exception):
    """A problem of the user's (exit 1: data or a loss that is not finite; 2: usage or I/O), one line."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------ seqc's runtime (Node)

def bridge_argv(command, *args):
    """The command line of a command of seqc_node/bridge.js (see its comment)."""
    node = os.environ.get("SEQC_NODE", "node")
    if shutil.which(node) is None:
        raise Failure(2, f"{PROG}: needs Node.js 20 or later (`{node}` is not on PATH; set SEQC_NODE): it reads data and model directories with seqc's runtime")
    return [node, os.path.join(HERE, "seqc_node", "bridge.js"), command, INFO_PATH, *map(str, args)]


def bridge_failure(command, code, stderr):
    message = stderr.strip() or f"{PROG}: seqc_node/bridge.js {command} failed ({code})"
    return Failure(code if code in (1, 2) else 70, message)


def bridge(command, *args):
    """Runs a command of seqc_node/bridge.js; its one-line error becomes a Failure."""
    r = subprocess.run(bridge_argv(command, *args), capture_output=True, text=True)
    if r.returncode != 0:
        raise bridge_failure(command, r.returncode, r.stderr)


class TrainLog:
    """--log FILE: the training log as seqc's other trainers write it, written by seqc's runtime (bridge.js log, which
    runs src/runtime/train-log.ts TrainLog for the whole run), told of each update and epoch with this process's times."""

    def __init__(self, path, append):
        self.proc = subprocess.Popen(bridge_argv("log", path, *(["--append"] if append else [])), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.stdin.close()
            raise bridge_failure("log", self.proc.wait(), self.proc.stderr.read())

    def _send(self, message):
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def begin(self):
        self._send({"begin": _ms()})

    def update(self, loss, tokens, epoch, step, lr):
        self._send({"update": [loss, tokens, epoch, step, lr], "now": _ms()})

    def epoch(self, epoch, step, loss, validation, lr, tokens_per_second):
        self._send({"epoch": [epoch, step, loss, validation, lr, tokens_per_second], "now": _ms()})

    def close(self):
        self.proc.stdin.close()
        code = self.proc.wait()
        if code != 0:
            raise bridge_failure("log", code, self.proc.stderr.read())


def _ms():
    return time.monotonic() * 1000


def read_data(path, *options):
    """The examples of a data file as seqc reads it: the header (vocabularies, dims, lengths, the split) and each
    field's values per example."""
    with tempfile.TemporaryDirectory(prefix="seqc-data-") as tmp:
        out = os.path.join(tmp, "data")
        bridge("data", path, out, *options)
        with open(out + ".json", encoding="utf8") as f:
            header = json.load(f)
        raw = np.fromfile(out + ".bin", dtype=np.uint8)
    fields = {}
    for name, field in header["fields"].items():
        dtype = np.int32 if field["dtype"] == "int32" else np.float32
        values = raw[field["offset"]: field["offset"] + field["length"] * 4].view(dtype)
        bounds = np.concatenate([[0], np.cumsum(field["sizes"])])
        fields[name] = [values[bounds[i]: bounds[i + 1]] for i in range(header["examples"])]
    header["values"] = fields
    return header


def field_shape(field, dims):
    """A field's shape at some dims: its axes are numbers or a dim, a part or a multiple of one (T, T/2, 2*T)."""
    out = []
    for axis in field["shape"]:
        if isinstance(axis, int):
            out.append(axis)
            continue
        times, atom, per = re.fullmatch(r"(?:(\d+)\*)?([A-Za-z_][A-Za-z0-9_]*)(?:/(\d+))?", axis).groups()
        out.append(dims[atom] * int(times or 1) // int(per or 1))
    return out


def bound_dims():
    return {d["name"]: d["value"] for d in INFO["dims"] if "value" in d}


# ------------------------------------------------------------------ the model and its weights

def to_params(model, flat):
    """Sets the parameters, in info.json's order, from a flat array."""
    named = dict(model.named_parameters())
    at = 0
    with torch.no_grad():
        for p in INFO["params"]:
            t = named[M.PARAMS[p["name"]]]
            n = t.numel()
            t.copy_(torch.as_tensor(np.asarray(flat[at: at + n]), dtype=t.dtype).reshape(t.shape))
            at += n


def from_params(model):
    """The parameters as float32, in info.json's order (the layout of weights.bin)."""
    named = dict(model.named_parameters())
    return np.concatenate([named[M.PARAMS[p["name"]]].detach().to("cpu", torch.float32).reshape(-1).numpy() for p in INFO["params"]])


def load_dir(path, model=None, checkpoint=False):
    """A model directory checked against this model (bridge load): its metadata, and its weights into `model`; with
    checkpoint, a training checkpoint of this spec's model, its trainer state in meta["state"] with its tensors."""
    with tempfile.TemporaryDirectory(prefix="seqc-load-") as tmp:
        out = os.path.join(tmp, "model")
        bridge("load", path, out, *(["--checkpoint"] if checkpoint else []))
        with open(out + ".json", encoding="utf8") as f:
            meta = json.load(f)
        meta["weights"] = np.fromfile(out + ".bin", dtype=np.float32)
        if checkpoint:
            flat, at = np.fromfile(out + ".state.bin", dtype=np.float32), 0
            values = {}
            for t in meta["state"]["tensors"]:
                n = math.prod(t["shape"])
                values[t["name"]] = flat[at: at + n].reshape(t["shape"])
                at += n
            meta["state"]["tensors"] = values
    if model is not None:
        to_params(model, meta["weights"])
    return meta


def save_dir(path, model, meta, state=None):
    """Writes a seqc model directory (bridge save: weights.bin and model.json replaced whole or not at all); with state
    {progress, optimizer, tensors: {name: array}}, a training checkpoint (optimizer.json, optimizer.bin) for --resume."""
    with tempfile.TemporaryDirectory(prefix="seqc-save-") as tmp:
        with open(os.path.join(tmp, "meta.json"), "w", encoding="utf8") as f:
            json.dump(meta, f)
        from_params(model).tofile(os.path.join(tmp, "weights.bin"))
        extra = []
        if state is not None:
            tensors = state["tensors"]
            with open(os.path.join(tmp, "state.json"), "w", encoding="utf8") as f:
                json.dump({"progress": state["progress"], "optimizer": state["optimizer"],
                           "tensors": [{"name": k, "shape": list(v.shape)} for k, v in tensors.items()]}, f)
            flat = [np.asarray(v, dtype=np.float32).reshape(-1) for v in tensors.values()]
            (np.concatenate(flat) if flat else np.zeros(0, np.float32)).tofile(os.path.join(tmp, "state.bin"))
            extra = [os.path.join(tmp, "state.json"), os.path.join(tmp, "state.bin")]
        bridge("save", path, os.path.join(tmp, "meta.json"), os.path.join(tmp, "weights.bin"), *extra)


# The trainer state's progress names this trainer: seqc train's checkpoints keep another (TensorFlow.js's optimizer slots).
TRAINER = "pytorch"


def seqc_names(model):
    """Each parameter's seqc name, by the parameter's id."""
    named = dict(model.named_parameters())
    return {id(named[key]): name for name, key in M.PARAMS.items()}


def trained(model):
    """The parameters that are trained, in the module's order: not batch_normalize's running statistics (parameters
    without gradients, which the forward pass updates), so no optimizer slot, weight decay or clipping touches them."""
    return [p for p in model.parameters() if p.requires_grad]


def trainer_state(model, opt, s, progress):
    """The trainer's state for a checkpoint: the run's position (progress), and the optimizer's slots by seqc name
    (`h.W/exp_avg`), float32 as the other trainers keep theirs."""
    keys = seqc_names(model)
    slots = opt.state_dict()["state"]
    tensors = {}
    # The optimizer's state is keyed by the position of a parameter among its own (trained(model)).
    for i, p in enumerate(trained(model)):
        for k, v in sorted(slots.get(i, {}).items()):
            if v is None:
                continue  # plain SGD's momentum_buffer
            tensors[f"{keys[id(p)]}/{k}"] = (v if torch.is_tensor(v) else torch.tensor(float(v))).detach().to("cpu", torch.float32).numpy()
    return {"progress": {"trainer": TRAINER, **progress}, "optimizer": {"name": s["optimizer"]["name"], "iterations": progress["steps"]},
            "tensors": tensors}


def restore_state(model, opt, s, state, path):
    """Restores a trainer_state (of this trainer and optimizer) into opt; returns its progress."""
    if state["progress"].get("trainer") != TRAINER:
        raise Failure(2, f"{PROG}: --resume: {path} holds a checkpoint of another trainer (seqc train); resume it with that trainer, or train without --resume")
    if state["optimizer"]["name"] != s["optimizer"]["name"]:
        raise Failure(2, f"{PROG}: --resume: the checkpoint's optimizer is {state['optimizer']['name']}, not {s['optimizer']['name']}")
    names = seqc_names(model)
    dtype = next(model.parameters()).dtype
    slots = {}
    for i, p in enumerate(trained(model)):
        prefix = names[id(p)] + "/"
        found = {k[len(prefix):]: v for k, v in state["tensors"].items() if k.startswith(prefix)}
        if found:
            slots[i] = {k: torch.tensor(np.array(v), dtype=torch.float32 if k == "step" else dtype, device=p.device) for k, v in found.items()}
    opt.load_state_dict({"state": slots, "param_groups": opt.state_dict()["param_groups"]})
    return state["progress"]


def lock_dir(path):
    """One run at a time writes a model directory: DIR/.seqc-lock holds the process id (a dead run's is taken over)."""
    os.makedirs(path, exist_ok=True)
    lock = os.path.join(path, LOCK_FILE)
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                pid = int(open(lock).read().strip())
            except (OSError, ValueError):
                pid = 0
            if pid > 0 and pid != os.getpid() and _alive(pid):
                raise Failure(2, f"{PROG}: {path} is being written by another training run (process {pid}): wait for it to end, or choose another output directory (if no such run is going, remove {lock})")
            try:
                os.remove(lock)
            except FileNotFoundError:
                pass
            continue
        os.write(fd, f"{os.getpid()}\n".encode())
        os.close(fd)
        return lambda: os.path.exists(lock) and os.remove(lock)
    raise Failure(2, f"{PROG}: cannot lock {path}: another process keeps creating {lock}")


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


# ------------------------------------------------------------------ batches

def plan_batches(order, lengths, free_dims, size):
    """Batches of examples of identical lengths (src/runtime/batches.ts planBatches; test/e2e/pytorch-train.test.ts
    compares the two): walking `order`, each example joins the open batch of its lengths, a new one when there is none
    or it is full."""
    open_batches, out = {}, []
    for i in order:
        key = tuple(lengths[d][i] for d in free_dims)
        b = open_batches.get(key)
        if b is None or len(b) >= size:
            b = []
            open_batches[key] = b
            out.append(b)
        b.append(i)
    return out


def epoch_batches(data, rng, size):
    """An epoch's batches, as the ts trainer plans them: the training examples shuffled by seqc's generator
    (batches.ts permutation), then planned (plan_batches)."""
    order = [data["train"][i] for i in S.permutation(len(data["train"]), rng)]
    return plan_batches(order, data["lengths"], data["freeDims"], size)


def window_dim(data):
    """The dim truncated BPTT cuts along: the data's one free dim, when it is every field's first axis."""
    if len(data["freeDims"]) != 1:
        return None
    atom = data["freeDims"][0]
    return atom if all(f["shape"] and f["shape"][0] == atom for f in INFO["fields"]) else None


def windows(data, items, atom, bptt):
    if atom is None or bptt <= 0:
        return [None]
    T = data["lengths"][atom][items[0]]
    return [(t0, min(bptt, T - t0)) for t0 in range(0, T, bptt)] or [None]


def make_batch(data, items, device, dtype, window=None):
    """The model's batch of some examples (of one length): each field stacked, batch axis first."""
    dims = {**bound_dims(), **data["vocabDims"], **{d: data["lengths"][d][items[0]] for d in data["freeDims"]}}
    batch = {}
    for f in INFO["fields"]:
        shape = field_shape(f, dims)
        rows = np.stack([data["values"][f["name"]][i].reshape(shape) for i in items])
        t = torch.as_tensor(rows, dtype=torch.long if f["dtype"] == "int32" else dtype)
        if window is not None:
            t = t[:, window[0]: window[0] + window[1]]
        batch[f["name"]] = t.to(device)
    return batch


# ------------------------------------------------------------------ train

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.01, "adam": 0.001, "rmsprop": 0.001}


def optimizer_of(params, s):
    """The optimizers of seqc's other targets (src/runtime/optim.ts), with their defaults."""
    o, lr = s["optimizer"]["options"], s["optimizer"]["lr"]
    name = s["optimizer"]["name"]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=o.get("beta", 0.9))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("eps", 1e-7))
    return torch.optim.RMSprop(params, lr=lr, alpha=o.get("rho", 0.9), eps=o.get("eps", 1e-7))


# The schedules' options and their defaults (src/runtime/settings.ts LR_SCHEDULES; None: must be given).
SCHEDULE_DEFAULTS = {"constant": {}, "step": {"every": None, "gamma": 0.5}, "exponential": {"rate": None, "steps": 1}, "cosine": {"steps": None, "min": 0}}


def learning_rate(s, step):
    """The learning rate of update `step` (from 0): a linear warm-up from lr / warmup to lr over the first `warmup`
    updates, then the schedule from its start (src/runtime/settings.ts learningRate; test/e2e/pytorch-train.test.ts
    compares the two for every schedule)."""
    lr = s["optimizer"]["lr"]
    warmup = s.get("warmup") or 0
    if step < warmup:
        return lr * (step + 1) / warmup
    u = step - warmup
    schedule = s.get("lrSchedule") or {"name": "constant", "options": {}}
    name = schedule["name"]

    def opt(k):
        v = schedule["options"].get(k)
        return SCHEDULE_DEFAULTS[name][k] if v is None else v
    if name == "step":
        return lr * math.pow(opt("gamma"), u // opt("every"))
    if name == "exponential":
        return lr * math.pow(opt("rate"), u / opt("steps"))
    if name == "cosine":
        low, steps = opt("min"), opt("steps")
        return low + (lr - low) * (1 + math.cos(math.pi * min(u, steps) / steps)) / 2
    return lr


def schedule_text(s):
    """A schedule as written (src/runtime/trainer.ts scheduleText)."""
    sch = s.get("lrSchedule")
    if not sch or not sch["options"]:
        return sch["name"] if sch else "constant"
    return f"{sch['name']}({', '.join(f'{k}: {v:g}' for k, v in sch['options'].items())})"


def rate_text(lr):
    """A rate for a progress line: 3 significant digits (settings.ts rateText)."""
    return f"{float(f'{lr:.3g}'):g}"


def settings_of(a, base):
    """The settings `base` (the spec's train {}, or a resumed checkpoint's) overridden by the command line (an --optimizer
    other than the base's starts from its defaults), as src/runtime/settings.ts withOverrides."""
    s = json.loads(json.dumps(base))
    if a.optimizer is not None and a.optimizer != s["optimizer"]["name"]:
        s["optimizer"] = {"name": a.optimizer, "lr": DEFAULT_LR[a.optimizer], "options": {}}
    if a.lr is not None:
        s["optimizer"]["lr"] = a.lr
    for key, value in (("batch", a.batch), ("epochs", a.epochs), ("clip", a.clip), ("weightDecay", a.weight_decay), ("bptt", a.bptt),
                       ("seed", a.seed), ("validation", a.validation), ("patience", a.patience), ("warmup", a.warmup)):
        if value is not None:
            s[key] = value
    if a.lr_schedule is not None:
        # Parsed by seqc's own parser (settings.ts parseSchedule), with its messages.
        with tempfile.TemporaryDirectory(prefix="seqc-schedule-") as tmp:
            bridge("schedule", a.lr_schedule, os.path.join(tmp, "s.json"))
            with open(os.path.join(tmp, "s.json"), encoding="utf8") as f:
                s["lrSchedule"] = json.load(f)
    return s


def checked(name, kind, test, what):
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"--{name} needs {'a whole number' if kind is int else 'a number'}, not {text!r}")
        if not test(v):
            raise argparse.ArgumentTypeError(f"--{name} {text}: expected {what}")
        return v
    return parse


def train_parser():
    s = INFO["settings"]
    p = argparse.ArgumentParser(prog=PROG, description=f"Trains model {INFO['name']} (generated by seqc from {INFO['spec']['file']}) with PyTorch; "
                                "`eval` and `sample` use a trained model (train.py eval --help).")
    p.add_argument("--data", required=True, help="the training data: .jsonl, .txt or .csv, as seqc train reads it")
    p.add_argument("--out", "-o", default="model-out", help="where rank 0 saves the seqc model directory (default model-out)")
    p.add_argument("--init", help="start from the weights (and vocabularies) of a seqc model directory")
    p.add_argument("--resume", action="store_true", help="continue the run checkpointed in --out (weights, optimizer state, generator, "
                   "position) up to --epochs; its settings are the base, flags still override")
    p.add_argument("--log", help="write one JSON line per 10 updates (kind \"steps\") and per epoch (kind \"epoch\"), as seqc train --log "
                   "(emptied first unless --resume; seqc plot draws it)")
    p.add_argument("--epochs", type=checked("epochs", int, lambda n: n >= 0, "a whole number >= 0"), help=f"({s['epochs']})")
    p.add_argument("--batch", type=checked("batch", int, lambda n: n >= 1, "a whole number >= 1"), help=f"examples per update, over every process ({s['batch']})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"({s['optimizer']['name']})")
    p.add_argument("--lr", type=checked("lr", float, lambda n: n > 0, "a number > 0"), help=f"learning rate ({s['optimizer']['lr']})")
    p.add_argument("--seed", type=checked("seed", int, lambda n: True, ""), help=f"initial weights and shuffling ({s['seed']})")
    p.add_argument("--clip", type=checked("clip", float, lambda n: n >= 0, "a number >= 0"), help=f"clip the gradient to this global norm, 0 for none ({s['clip']})")
    p.add_argument("--weight-decay", type=checked("weight-decay", float, lambda n: n >= 0, "a number >= 0"), help=f"L2 penalty ({s['weightDecay']})")
    p.add_argument("--bptt", type=checked("bptt", int, lambda n: n >= 0, "a whole number >= 0"), help=f"truncated BPTT window in steps, 0 for none ({s['bptt']})")
    p.add_argument("--validation", type=checked("validation", float, lambda n: 0 <= n < 1, "a fraction in [0, 1)"), help=f"fraction held out ({s['validation']})")
    p.add_argument("--patience", type=checked("patience", int, lambda n: n >= 0, "a whole number >= 0"), help=f"stop after N epochs without a better validation loss, 0 for never ({s['patience']})")
    p.add_argument("--lr-schedule", help="the rate over the updates: constant, step(every: N, gamma: X), exponential(rate: X, steps: N), "
                   f"cosine(steps: N, min: X) ({schedule_text(s)})")
    p.add_argument("--warmup", type=checked("warmup", int, lambda n: n >= 0, "a whole number >= 0"),
                   help=f"updates over which the rate rises linearly to --lr before the schedule ({s.get('warmup') or 0})")
    p.add_argument("--seq-length", type=checked("seq-length", int, lambda n: n >= 1, "a whole number >= 1"), help="text and CSV: steps per sequence")
    p.add_argument("--device", choices=("cpu", "cuda"), default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--float64", action="store_true", help="compute in float64 (saved weights are float32 either way)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the final summary")
    return p


def distributed(device_name):
    """(rank, world size, device): under torchrun (WORLD_SIZE > 1) one process group, gloo on CPU, nccl on GPU."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    use_cuda = device_name == "cuda" or (device_name is None and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise Failure(2, f"{PROG}: --device cuda: this PyTorch sees no GPU")
    if world > 1:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    if use_cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return rank, world, torch.device("cuda", local)
    return rank, world, torch.device("cpu")


def run_train(argv):
    a = train_parser().parse_args(argv)
    if a.resume and a.init is not None:
        raise Failure(2, f"{PROG}: --resume continues the run in --out; --init starts a new one: give one of them")
    checkpoint = load_dir(a.out, checkpoint=True) if a.resume else None
    s = settings_of(a, checkpoint["settings"] if checkpoint else INFO["settings"])
    rank, world, device = distributed(a.device)
    dtype = torch.float64 if a.float64 else torch.float32
    torch.set_default_dtype(dtype)
    say = (lambda text: print(text, flush=True)) if rank == 0 and not a.quiet else (lambda text: None)
    options = ["--bptt", s["bptt"], "--batch", s["batch"], "--validation", s["validation"], "--seed", s["seed"]]
    if a.seq_length is not None:
        options += ["--seq-length", a.seq_length]
    if a.init is not None or checkpoint:
        options += ["--model", a.out if checkpoint else a.init]
    data = read_data(a.data, *options)
    model = M.Model(data["vocabDims"])
    if checkpoint:
        to_params(model, checkpoint["weights"])
    elif a.init is not None:
        load_dir(a.init, model)
    else:
        with tempfile.TemporaryDirectory(prefix="seqc-init-") as tmp:
            bridge("init", json.dumps(data["dims"]), s["seed"], os.path.join(tmp, "w"))
            to_params(model, np.fromfile(os.path.join(tmp, "w"), dtype=np.float64))
    model.to(device)
    net = DistributedDataParallel(model) if world > 1 else model
    params = trained(model)
    opt = optimizer_of(params, s)
    atom = window_dim(data) if s["bptt"] > 0 else None
    train, held = data["train"], data["validation"]
    meta = {"dims": data["dims"], "vocabularies": data["vocabularies"], "settings": s}
    carried_scans = {scan["name"]: scan["states"] for scan in INFO["scans"]}
    # Before training: a log that cannot be written is the user's to fix, not an error after the work.
    train_log = TrainLog(a.log, a.resume) if a.log is not None and rank == 0 else None
    unlock = lock_dir(a.out) if rank == 0 else (lambda: None)
    say(f"training {INFO['name']} on {len(train)} examples{f' ({len(held)} held out)' if held else ''} with PyTorch on {world} "
        f"{'process' if world == 1 else 'processes'} ({device.type}){f', starting from {a.init}' if a.init else ''}")
    # The ts trainer's generator and draws: the same epoch orders, so the same batches, for a seed.
    rng = S.Rng(s["seed"])
    started = last_save = time.time()
    epoch, best, since_best, last, steps = 0, None, 0, None, 0
    if checkpoint:
        progress = restore_state(model, opt, s, checkpoint["state"], a.out)
        epoch, steps, best, since_best = progress["epoch"], progress["steps"], progress["best"], progress["sinceBest"]
        rng.state = progress["rng"]
        say(f"resuming at epoch {epoch + 1} (update {steps}) from {a.out}")
    lr = learning_rate(s, max(0, steps - 1))

    def save():
        # After an epoch: the generator has shuffled it, so its state shuffles the next one.
        state = trainer_state(model, opt, s, {"epoch": epoch, "steps": steps, "rng": rng.state, "best": best, "sinceBest": since_best})
        save_dir(a.out, model, {**meta, "epochs": epoch}, state)

    def step_loss(items, window, initial, train_step):
        """The batch's mean loss over every process; with train_step, its gradient too (each rank its share), with the
        update's dropout masks (the ts trainer's for this update, drawn for the whole batch)."""
        rows = list(range(rank, len(items), world))
        weights = [1.0] * len(rows)
        if not rows:
            # A rank without examples still takes part in the gradient's all-reduce, with an example weighted 0.
            rows, weights = [0], [0.0]
        batch = make_batch(data, [items[r] for r in rows], device, dtype, window)
        w = torch.tensor(weights, dtype=dtype, device=device)
        masks = S.MaskDraws(S.dropout_seed(s["seed"], steps), rows, len(items)) if train_step else None
        # Batch statistics (batch_normalize) over the whole batch: every rank's rows but a stand-in's.
        with S.global_batch(w, world > 1):
            per_example, _values, finals = (net if train_step else model)(batch, initial, masks)
        local = (per_example * w).sum()
        if train_step:
            # DDP averages the ranks' gradients: each rank's share of the batch's mean, times the world size.
            (local * world / len(items)).backward()
        total = local.detach().clone()
        if world > 1:
            dist.all_reduce(total)
        carried = {name: {k: finals[name][k].detach() for k in states} for name, states in carried_scans.items() if name in finals}
        return total.item() / len(items), carried

    def mean_loss(indices):
        total, rows = 0.0, 0
        model.eval()
        with torch.no_grad():
            for items in plan_batches(indices, data["lengths"], data["freeDims"], s["batch"]):
                initial = None
                for window in windows(data, items, atom, s["bptt"]):
                    loss, carried = step_loss(items, window, initial, False)
                    total += loss * len(items)
                    rows += len(items)
                    initial = carried if window is not None else None
        model.train()
        return total / max(1, rows)

    if train_log:
        train_log.begin()
    try:
        while epoch < s["epochs"]:
            t0 = time.time()
            tokens = 0
            total, rows, updates = 0.0, 0, 0
            for items in epoch_batches(data, rng, s["batch"]):
                initial = None
                for window in windows(data, items, atom, s["bptt"]):
                    opt.zero_grad(set_to_none=False)
                    loss, carried = step_loss(items, window, initial, True)
                    if not math.isfinite(loss):
                        raise Failure(1, f"{PROG}: the loss became {loss} in epoch {epoch + 1}; training stopped. The last good weights "
                                         f"(epoch {epoch}) are saved in {a.out}\nTry a smaller learning rate (--lr) or gradient clipping (--clip 5).")
                    with torch.no_grad():
                        if s["weightDecay"] > 0:
                            for p in params:
                                p.grad.add_(p, alpha=s["weightDecay"])
                    if s["clip"] > 0:
                        torch.nn.utils.clip_grad_norm_(params, s["clip"])
                    lr = learning_rate(s, steps)
                    for group in opt.param_groups:
                        group["lr"] = lr
                    opt.step()
                    steps += 1
                    initial = carried if window is not None else None
                    total += loss * len(items)
                    rows += len(items)
                    updates += 1
                    # Examples times steps of the first free length dim (the log's tokens, as the ts trainer counts them).
                    length = window[1] if window is not None else data["lengths"][data["freeDims"][0]][items[0]] if data["freeDims"] else 1
                    tokens += len(items) * length
                    if train_log:
                        train_log.update(loss, len(items) * length, epoch + 1, steps, lr)
            epoch += 1
            last = {"loss": total / max(1, rows)}
            if held:
                last["validation"] = mean_loss(held)
            seconds = time.time() - t0
            shown = f"  validation {last['validation']:.5f}" if "validation" in last else ""
            say(f"epoch {epoch}/{s['epochs']}  step {updates}/{updates}  loss {last['loss']:.5f}{shown}  lr {rate_text(lr)}  {round(rows / max(seconds, 1e-6))} examples/s")
            if train_log:
                train_log.epoch(epoch, steps, last["loss"], last.get("validation"), lr, tokens / max(seconds, 1e-9))
            stop = False
            if "validation" in last and s["patience"] > 0:
                if best is None or last["validation"] < best:
                    best, since_best = last["validation"], 0
                else:
                    since_best += 1
                    stop = since_best >= s["patience"]
            if rank == 0 and time.time() - last_save > 2:
                save()
                last_save = time.time()
            if stop:
                say(f"stopping early: no better validation loss for {s['patience']} epochs")
                break
        if rank == 0:
            save()
    finally:
        unlock()
        if train_log:
            train_log.close()
    if rank == 0:
        text = f", loss {last['loss']:.5f}" if last else ""
        print(f"trained {INFO['name']}: {epoch} {'epoch' if epoch == 1 else 'epochs'} on {len(train)} examples{text} "
              f"({time.time() - started:.1f} s, {world} {'process' if world == 1 else 'processes'}); saved {a.out}", flush=True)
    if world > 1:
        # Every rank ends together (rank 0 has saved). No destroy_process_group: gloo's (PyTorch 1.13) can wait
        # forever for a peer that has exited; the process's exit releases the group.
        dist.barrier()
    return 0


# ------------------------------------------------------------------ eval and sample

def opened(path, vocab_dims):
    model = M.Model(vocab_dims)
    load_dir(path, model)
    model.eval()
    return model


def run_eval(argv):
    p = argparse.ArgumentParser(prog=f"{PROG} eval", description="Loss and accuracy per step of a trained model on data.")
    p.add_argument("--model", "-m", required=True, help="a seqc model directory")
    p.add_argument("--data", "-d", required=True, help="the data, as train reads it")
    p.add_argument("--batch", type=checked("batch", int, lambda n: n >= 1, "a whole number >= 1"), default=64)
    p.add_argument("--format", choices=("human", "json"), default="human")
    a = p.parse_args(argv)
    data = read_data(a.data, "--eval", "--model", a.model)
    model = opened(a.model, data["vocabDims"])
    dtype = torch.get_default_dtype()
    total, rows, right, steps = 0.0, 0, 0, 0
    with torch.no_grad():
        for items in plan_batches(data["train"], data["lengths"], data["freeDims"], a.batch):
            batch = make_batch(data, items, torch.device("cpu"), dtype)
            per_example, values, _finals = model(batch)
            total += per_example.sum().item()
            rows += len(items)
            for loss in INFO["losses"]:
                if "target" not in loss or "prediction" not in loss:
                    continue
                pred, target = values[loss["prediction"]], batch[loss["target"]]
                if loss["op"] == "cross_entropy":
                    hits = pred.argmax(-1) == (target if target.dtype == torch.long else target.argmax(-1))
                else:
                    hits = (pred > (0 if loss["op"] == "bce_logits" else 0.5)) == (target > 0.5)
                right += hits.sum().item()
                steps += hits.numel()
    report = {"examples": rows, "loss": total / max(1, rows)}
    if steps:
        report["accuracyPerStep"] = right / steps
    if a.format == "json":
        print(json.dumps(report, indent=2))
    else:
        print(f"examples: {rows}\nloss: {report['loss']:.6f}" + (f"\naccuracy per step: {100 * report['accuracyPerStep']:.2f}%" if steps else ""))
    return 0


def run_sample(argv):
    p = argparse.ArgumentParser(prog=f"{PROG} sample", description="Generates along the model's feedback edge.")
    p.add_argument("--model", "-m", required=True)
    p.add_argument("--prime", default="")
    p.add_argument("--length", type=checked("length", int, lambda n: n >= 0, "a whole number >= 0"), default=100)
    p.add_argument("--temperature", type=checked("temperature", float, lambda n: n >= 0, "a number >= 0"), default=0.0)
    p.add_argument("--seed", type=checked("seed", int, lambda n: True, ""), default=1)
    a = p.parse_args(argv)
    fb = INFO.get("feedback")
    if not fb:
        raise Failure(2, f"{PROG}: model {INFO['name']} has no `feedback x from logits`: nothing says how to generate")
    others = [f["name"] for f in INFO["fields"] if f["role"] == "input" and f["name"] != fb["input"]]
    if others:
        raise Failure(2, f"{PROG}: the model needs {', '.join(others)} to generate; this trainer samples from a prime only")
    with tempfile.TemporaryDirectory(prefix="seqc-prime-") as tmp:
        bridge("prime", a.model, a.prime, os.path.join(tmp, "p.json"))
        with open(os.path.join(tmp, "p.json"), encoding="utf8") as f:
            vocab = json.load(f)
    meta = load_dir(a.model)
    model = opened(a.model, meta["vocabDims"])
    ids = list(vocab["ids"])
    if not ids:
        if vocab["bos"] is None:
            raise Failure(2, f"{PROG}: nothing to start generating from: give --prime TEXT (the vocabulary has no <bos>)")
        ids.append(vocab["bos"])
    generator = torch.Generator().manual_seed(a.seed)
    seq, generated = list(ids), []
    targets = [f for f in INFO["fields"] if f["role"] == "target"]
    with torch.no_grad():
        for _ in range(a.length):
            dims = {**bound_dims(), **meta["vocabDims"], fb_atom(): len(seq)}
            batch = {fb["input"]: torch.tensor([seq])}
            for f in targets:
                batch[f["name"]] = torch.zeros(1, *field_shape(f, dims), dtype=torch.long if f["dtype"] == "int32" else torch.get_default_dtype())
            _loss, values, _finals = model(batch)
            logits = values[fb["source"]][0, -1]
            if a.temperature == 0:
                nxt = int(logits.argmax())
            else:
                nxt = int(torch.multinomial(torch.softmax(logits / a.temperature, -1), 1, generator=generator))
            seq.append(nxt)
            if nxt == vocab["until"]:
                break
            generated.append(nxt)
    tokens = ["\n" if vocab["eos"] is not None and i == vocab["eos"] else vocab["tokens"][i] for i in ids + generated]
    print(("" if vocab["chars"] else " ").join(tokens))
    return 0


def fb_atom():
    field = next(f for f in INFO["fields"] if f["name"] == INFO["feedback"]["input"])
    return field["shape"][0]


def main(argv):
    command, rest = (argv[0], argv[1:]) if argv and argv[0] in ("train", "eval", "sample") else ("train", argv)
    try:
        return {"train": run_train, "eval": run_eval, "sample": run_sample}[command](rest)
    except Failure as e:
        print(str(e) if str(e).startswith(PROG) else f"{PROG}: {e}", file=sys.stderr)
        return e.code
    except OSError as e:
        # A file or directory the run cannot read or write (the output under a file, a read-only place, a full disk).
        where = f"{e.filename}: " if e.filename else ""
        print(f"{PROG}: {where}{(e.strerror or str(e)).lower()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
