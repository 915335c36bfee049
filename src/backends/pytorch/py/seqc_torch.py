"""The ops of seqc's language that are more than one PyTorch call, for the
modules `seqc compile --target pytorch` writes (model.py imports this file as S).

Values carry the batch axis first, then a mapped fn's or scan's `lead` axes,
then the axes the spec writes; parameters and constants have no batch axis and
broadcast over it. Each function says which spec op it is and follows the ts
target's formula for it (src/kernel/forward.ts), so that both targets compute
the same numbers.
"""
import contextlib
import math

import numpy as np
import torch
import torch.nn.functional as F

# The clamp of bce's probabilities (src/kernel/forward.ts EPS).
EPS = 1e-7


# ------------------------------------------------------------------ parameters

def put(root, path, value):
    """Puts a module, parameter or buffer (a plain tensor: a const of the spec, outside the state_dict) at a dotted
    path of torch keys under root, making plain containers on the way."""
    *parents, last = path
    at = root
    for name in parents:
        if name not in at._modules:
            at.add_module(name, torch.nn.Module())
        at = at._modules[name]
    if isinstance(value, torch.nn.Parameter):
        at.register_parameter(last, value)
    elif torch.is_tensor(value):
        at.register_buffer(last, value, persistent=False)
    else:
        at.add_module(last, value)


def initial(init, shape):
    """A parameter's starting values from its initialiser: the distributions of src/runtime/init.ts, drawn by torch's
    generator (the trainer starts from seqc's own draws instead, as the other targets do)."""
    kind, value = init["kind"], init.get("value")
    if kind == "zeros":
        return torch.zeros(shape)
    if kind == "ones":
        return torch.ones(shape)
    if kind == "const":
        return torch.full(shape, float(value))
    if kind == "uniform":
        return (torch.rand(shape) * 2 - 1) * (0.05 if value is None else value)
    if kind == "normal":
        return torch.randn(shape) * (0.05 if value is None else value)
    if kind == "orthogonal" and len(shape) >= 2:
        t = torch.empty(shape)
        torch.nn.init.orthogonal_(t.view(shape[0], -1))
        return t
    # glorot: fans in seqc's layouts, [out, in] matrices and [F.., C, K] kernels.
    n = len(shape)
    fan_in, fan_out = (1, 1) if n == 0 else (shape[0], shape[0]) if n == 1 else (shape[1], shape[0]) if n == 2 else (
        math.prod(shape[:-2]) * shape[-2], math.prod(shape[:-2]) * shape[-1])
    return (torch.rand(shape) * 2 - 1) * math.sqrt(6 / (fan_in + fan_out))


# ------------------------------------------------------------------ layout

def lift(x, at, n):
    """x with n axes of size 1 inserted at axis `at`: a batched value of lower rank broadcast against a higher one."""
    if not torch.is_tensor(x) or n <= 0:
        return x
    return x.reshape(*x.shape[:at], *([1] * n), *x.shape[at:])


def batch_of(x, lead_shape):
    """An unbatched value repeated over the batch (and mapped) axes `lead_shape`."""
    if not torch.is_tensor(x):
        x = torch.tensor(float(x))
    return x.expand(*lead_shape, *x.shape)


def concat(args, batched, lead):
    """concat(a, b, ...): join on the last axis; unbatched parts are repeated over the batch."""
    ref = next((a for a, b in zip(args, batched) if b), None)
    if ref is None:
        return torch.cat(args, -1)
    lead_shape = ref.shape[: 1 + lead]
    return torch.cat([a if b else batch_of(a, lead_shape) for a, b in zip(args, batched)], -1)


def maximum(a, b):
    """maximum(a, b), with numbers as tensors."""
    a, b = _tensors(a, b)
    return torch.maximum(a, b)


def minimum(a, b):
    """minimum(a, b), with numbers as tensors."""
    a, b = _tensors(a, b)
    return torch.minimum(a, b)


def _tensors(a, b):
    like = a if torch.is_tensor(a) else b
    return (a if torch.is_tensor(a) else torch.tensor(float(a), dtype=like.dtype, device=like.device),
            b if torch.is_tensor(b) else torch.tensor(float(b), dtype=like.dtype, device=like.device))


# ------------------------------------------------------------------ elementwise

def softplus(x):
    """softplus, stable: max(x, 0) + log1p(exp(-|x|)) (src/kernel/forward.ts softplusOf)."""
    return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))


def elu(x):
    """elu: x if x > 0 else exp(x) - 1."""
    return torch.where(x > 0, x, torch.exp(torch.clamp(x, max=0)) - 1)


def leaky_relu(x, alpha):
    """leaky_relu: x if x > 0 else alpha x."""
    return torch.where(x > 0, x, alpha * x)


# ------------------------------------------------------------------ sequences

def fold(x, k, axis):
    """fold<k>: [.., T, D, ..] -> [.., T/k, k*D, ..] (k consecutive steps joined)."""
    s = x.shape
    return x.reshape(*s[:axis], s[axis] // k, k * s[axis + 1], *s[axis + 2:])


def shift(x, k, axis):
    """shift<k>: y[t] = x[t - k], zeros before the first step."""
    n = x.shape[axis]
    zeros = torch.zeros(*x.shape[:axis], min(k, n), *x.shape[axis + 1:], dtype=x.dtype, device=x.device)
    return torch.cat([zeros, x.narrow(axis, 0, n - min(k, n))], axis)


def one_hot(x, depth):
    """one_hot(x): token ids -> [.., V] vectors of the default float type."""
    return F.one_hot(x.long(), depth).to(torch.get_default_dtype())


def flatten(x, start):
    """flatten(x): every axis from `start` on into one."""
    return x.reshape(*x.shape[:start], -1)


# ------------------------------------------------------------------ convolutions and pools

def padding(pad, n, f, d, s):
    """Padding (before, after) of an axis of n for a window of f, dilation d, stride s, as the ts and tfjs targets pad
    (src/kernel/forward.ts padding: `same` is TensorFlow's rule, the odd unit after)."""
    span = d * (f - 1)
    if pad == "valid":
        return 0, 0
    if pad == "full":
        return span, span
    if pad == "causal":
        return span, 0
    if pad == "same":
        total = max((-(-n // s) - 1) * s + span + 1 - n, 0)
        return total // 2, total - total // 2
    return int(pad), int(pad)


def _channels_first(x, r):
    """[B, lead.., S.. (r), C] -> ([N, C, S..], the leading shape to restore)."""
    front = x.shape[: x.dim() - r - 1]
    x = x.reshape(-1, *x.shape[-r - 1:])
    return x.permute(0, r + 1, *range(1, r + 1)), front


def _channels_last(y, front, r):
    y = y.permute(0, *range(2, r + 2), 1)
    return y.reshape(*front, *y.shape[1:])


def _pad(x, r, pads, value):
    """Pads the r spatial axes (last r of channels-first x) by pads [(before, after)..], first axis first."""
    flat = []
    for before, after in reversed(pads):
        flat += [before, after]
    return F.pad(x, flat, value=value) if any(flat) else x


def conv(x, w, stride, pad, dilation):
    """conv(x, W): x [.., N(, M), C], W [F(, F), C, K] -> [.., N'(, M'), K]; seqc's kernel layout is permuted to torch's."""
    r = w.dim() - 2
    xc, front = _channels_first(x, r)
    f = list(w.shape[:r])
    pads = [padding(pad, xc.shape[2 + i], f[i], dilation, stride) for i in range(r)]
    xc = _pad(xc, r, pads, 0.0)
    weight = w.permute(r + 1, r, *range(r)).contiguous()
    y = (F.conv1d if r == 1 else F.conv2d)(xc, weight, stride=stride, dilation=dilation)
    return _channels_last(y, front, r)


def maxpool(x, size, stride, pad, r):
    """maxpool over the r spatial axes; padding never wins (it is -1e30, as the ts target pads)."""
    stride = stride or size
    xc, front = _channels_first(x, r)
    pads = [padding(pad, xc.shape[2 + i], size, 1, stride) for i in range(r)]
    xc = _pad(xc, r, pads, -1e30)
    y = (F.max_pool1d if r == 1 else F.max_pool2d)(xc, size, stride)
    return _channels_last(y, front, r)


def avgpool(x, size, stride, pad, r):
    """avgpool over the r spatial axes: the mean of each window's real elements (padding is not counted)."""
    stride = stride or size
    xc, front = _channels_first(x, r)
    pads = [padding(pad, xc.shape[2 + i], size, 1, stride) for i in range(r)]
    pool = F.avg_pool1d if r == 1 else F.avg_pool2d
    sums = pool(_pad(xc, r, pads, 0.0), size, stride)
    ones = torch.ones(1, 1, *xc.shape[2:], dtype=xc.dtype, device=xc.device)
    counts = pool(_pad(ones, r, pads, 0.0), size, stride)
    return _channels_last(sums / counts, front, r)


# ------------------------------------------------------------------ batch statistics

# The batch that batch statistics are over while train.py trains (global_batch): each of this process's rows' weight
# (0 for the stand-in row of a rank without examples), and whether to sum over every process of the group (DDP).
_GLOBAL_BATCH = None


@contextlib.contextmanager
def global_batch(weights, distributed):
    """Within it, batch_normalize's batch statistics are those of the whole batch: sums and counts over this process's
    rows, weighted by `weights` (one per row, [B]), and with `distributed` all-reduced over the default process group,
    differentiably (the gradient of each rank's sums is the sum of every rank's), so that N processes compute the
    statistics, running statistics and gradients of one. Outside it, a training forward pass uses its own rows."""
    global _GLOBAL_BATCH
    saved, _GLOBAL_BATCH = _GLOBAL_BATCH, (weights, distributed)
    try:
        yield
    finally:
        _GLOBAL_BATCH = saved


def _sum_over_processes(t):
    import torch.distributed.nn.functional as DF
    return DF.all_reduce(t)


def batch_normalize(x, running_mean, running_var, momentum, epsilon, training):
    """batch_normalize(x, mean, var): (x - m) / sqrt(v + epsilon) per unit of the last axis (src/kernel/forward.ts
    batchNormalize). While training, m and v are the batch's mean and biased variance over every other axis (the
    examples, steps and positions; global_batch: every process's), and the running statistics (parameters without
    gradients) move towards them in place, running = momentum * running + (1 - momentum) * batch's, the biased
    variance as the ts and tfjs targets take it; otherwise m and v are the running statistics."""
    if not training:
        return (x - running_mean) / torch.sqrt(running_var + epsilon)
    axes = tuple(range(x.dim() - 1))
    if _GLOBAL_BATCH is None:
        m = x.mean(axes)
        v = ((x - m) * (x - m)).mean(axes)
    else:
        weights, distributed = _GLOBAL_BATCH
        # The op is never in a cell's step (SEQ0318), so x's first axis is the batch's.
        w = weights.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
        per_row = math.prod(x.shape[1:-1])
        total = _sum_over_processes if distributed else (lambda t: t)
        sums = total(torch.cat([(x * w).sum(axes), (w.sum() * per_row).reshape(1)]))
        count = sums[-1]
        m = sums[:-1] / count
        v = total(((x - m) * (x - m) * w).sum(axes)) / count
    with torch.no_grad():
        running_mean.mul_(momentum).add_(m.detach(), alpha=1 - momentum)
        running_var.mul_(momentum).add_(v.detach(), alpha=1 - momentum)
    return (x - m) / torch.sqrt(v + epsilon)


# ------------------------------------------------------------------ losses (per example: summed over every axis but the batch)

def _per_example(e):
    return e.reshape(e.shape[0], -1).sum(1)


def mse(p, y):
    """mse(p, y) = 1/2 sum (p - y)^2."""
    return _per_example(0.5 * (p - y) * (p - y))


def bce(p, y):
    """bce(p, y) = -sum y log q + (1 - y) log(1 - q), q = p clamped to [EPS, 1 - EPS]."""
    q = torch.clamp(p, EPS, 1 - EPS)
    return _per_example(-(y * torch.log(q) + (1 - y) * torch.log(1 - q)))


def bce_logits(z, y):
    """bce_logits(z, y) = sum max(z, 0) - z y + log1p(exp(-|z|))."""
    return _per_example(torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs())))


def cross_entropy(z, y):
    """cross_entropy(logits, probabilities) = -sum y log_softmax(z)."""
    return _per_example(-(y * torch.log_softmax(z, -1)))


def cross_entropy_tokens(z, y):
    """cross_entropy(logits, tokens) = -sum log_softmax(z)[y]."""
    return _per_example(-torch.log_softmax(z, -1).gather(-1, y.long().unsqueeze(-1)).squeeze(-1))


# ------------------------------------------------------------------ scans

def fold_lead(x, lead):
    """A scanned or context value [B, lead.., ...] with its mapped axes folded into the batch: [B * lead.., ...]."""
    return x if lead == 0 else x.reshape(-1, *x.shape[1 + lead:])


def unfold_lead(x, lead_shape):
    """The inverse of fold_lead: [B * lead.., ...] -> [B, lead.., ...]."""
    return x if len(lead_shape) == 1 else x.reshape(*lead_shape, *x.shape[1:])


def state(value, batched, lead, n, shape, like):
    """A scan's initial state as an [n, ...shape] tensor: a given batched value with its mapped axes folded, else
    a number or a parameter repeated over the n rows."""
    if batched:
        return fold_lead(value, lead)
    if not torch.is_tensor(value):
        return torch.full((n, *shape), float(value), dtype=like.dtype, device=like.device)
    return value.expand(n, *shape)


def per_step(value, n):
    """A step's output or next state that does not depend on the batch (`c' = p`), repeated over the n rows."""
    return value.expand(n, *value.shape) if torch.is_tensor(value) else torch.full((n,), float(value))


# ------------------------------------------------------------------ seqc's seeded draws (src/runtime/init.ts, batches.ts)

U32 = 0xFFFFFFFF


class Rng:
    """seqc's seeded generator, mulberry32 (src/runtime/init.ts Rng): the same numbers for the same seed as every other
    target. Its state advances by a constant per draw, so `take` computes n draws at once.
    (test/backends/pytorch/mirror.test.ts compares it with init.ts.)"""

    STEP = 0x6D2B79F5

    def __init__(self, seed):
        self.state = int(seed) & U32

    def take(self, n):
        """The next n numbers in [0, 1), float64 (Rng.next n times)."""
        k = np.arange(1, n + 1, dtype=np.uint64)
        t = (np.uint64(self.state) + k * np.uint64(self.STEP)) & np.uint64(U32)
        self.state = (self.state + n * self.STEP) & U32
        t = _imul(t ^ (t >> np.uint64(15)), t | np.uint64(1))
        t = t ^ ((t + _imul(t ^ (t >> np.uint64(7)), t | np.uint64(61))) & np.uint64(U32))
        return ((t ^ (t >> np.uint64(14))) & np.uint64(U32)).astype(np.float64) / 4294967296.0


def _imul(a, b):
    """Math.imul on uint32 bit patterns held in uint64 (the product wraps at 2^64; its low 32 bits are imul's)."""
    return (a * b) & np.uint64(U32)


def dropout_seed(seed, step):
    """The seed of the dropout masks of update `step` (from 0) of a run with seed `seed` (init.ts dropoutSeed)."""
    a = ((int(seed) & U32) ^ 0x85EBCA6B) * 0x9E3779B1
    return (a + ((step + 1) & U32) * 0xC2B2AE35) & U32


def permutation(n, rng):
    """A Fisher-Yates shuffle of 0..n-1 drawing from rng (batches.ts permutation: the ts trainer's epoch order)."""
    out = list(range(n))
    if n < 2:
        return out
    u = rng.take(n - 1)
    for k, i in enumerate(range(n - 1, 0, -1)):
        j = int(u[k] * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


class MaskDraws:
    """The dropout masks of one forward pass as seqc's targets draw them (init.ts drawMask): one Rng seeded with
    dropout_seed(run's seed, update), mask after mask in the graph's order, each row-major with the batch first, 1/(1 - rate)
    with probability 1 - rate else 0. rows: the rows of the whole batch of `examples` this process computes (under DDP
    each rank computes its share of a batch whose masks are drawn whole, so 1 and N processes draw the same)."""

    def __init__(self, seed, rows=None, examples=None):
        self.rng = Rng(seed)
        self.rows = rows
        self.examples = examples

    def __call__(self, rate, shape):
        whole = (shape[0] if self.rows is None else self.examples, *shape[1:])
        keep = 1 - rate
        m = np.where(self.rng.take(math.prod(whole)) < keep, 1 / keep, 0.0).reshape(whole)
        return torch.from_numpy(m if self.rows is None else m[self.rows])


def dropout_mask(masks, training, rate, shape, like):
    """The mask of a dropout over a batch like `like` (its rows and device), `shape` per example: from `masks` (MaskDraws)
    when given, else torch's own draw while training (inverted dropout), else ones."""
    whole = (like.shape[0], *shape)
    dtype = torch.get_default_dtype()
    if masks is not None:
        return masks(rate, whole).to(like.device, dtype)
    if not training:
        return torch.ones(whole, dtype=dtype, device=like.device)
    keep = 1 - rate
    return (torch.rand(whole, device=like.device) < keep).to(dtype) / keep
