"""Runs models that seqc's pytorch target emitted on the examples of their reference runs (test/differential/torch.ts):
float64, each example alone as a batch of one, the mean of their losses and its gradient by autograd.

    python3 torch_models.py JOBS.json OUT.json

JOBS.json: a list of {module: path of model.py, dims, dropout: null or each example's seed of its dropout masks,
weights: {seqc name: [values]}, fields: [{name, tokens}], examples: [{fields: {name: {shape, values}}}]}. OUT.json: per
job {loss, grads: {seqc name: [values]}, stateDict: [keys], buffers: {key: requires_grad}, frozen: [seqc names of the
parameters without gradients], running: [per example {seqc name: [values]}]} or {error}. Without dropout seeds the model
runs in eval mode (no dropout, batch_normalize's running statistics); with them, in training mode with seqc's masks for
those seeds (seqc_torch.MaskDraws), as the ts target draws them, and the batch's statistics: each example's forward pass
starts from the job's running statistics, and `running` holds them after it (updated in place).
One process for every model: torch starts once.
"""
import importlib.util
import json
import sys
import traceback

import torch

torch.set_default_dtype(torch.float64)


def run(job, index):
    spec = importlib.util.spec_from_file_location(f"seqc_model_{index}", job["module"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.Model(job["dims"])
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, key in module.PARAMS.items():
            p = params[key]
            p.copy_(torch.tensor(job["weights"][name], dtype=torch.float64).reshape(p.shape))
    examples = job["examples"]
    seeds = job["dropout"]
    model.train(seeds is not None)
    masks = module.S.MaskDraws
    frozen = [name for name, key in module.PARAMS.items() if not params[key].requires_grad]
    running = []
    total = 0.0
    for k, ex in enumerate(examples):
        with torch.no_grad():
            for name in frozen:
                p = params[module.PARAMS[name]]
                p.copy_(torch.tensor(job["weights"][name], dtype=torch.float64).reshape(p.shape))
        batch = {}
        for f in job["fields"]:
            v = ex["fields"][f["name"]]
            t = torch.tensor(v["values"], dtype=torch.long if f["tokens"] else torch.float64)
            batch[f["name"]] = t.reshape(1, *v["shape"])
        loss, _values, _finals = model(batch, masks=None if seeds is None else masks(seeds[k]))
        loss = loss.sum() / len(examples)
        loss.backward()
        total += loss.item()
        if seeds is not None and frozen:
            running.append({name: params[module.PARAMS[name]].detach().reshape(-1).tolist() for name in frozen})
    grads = {}
    for name, key in module.PARAMS.items():
        g = params[key].grad
        grads[name] = [0.0] * params[key].numel() if g is None else g.reshape(-1).tolist()
    return {"loss": total, "grads": grads, "stateDict": sorted(model.state_dict().keys()),
            "buffers": {k: b.requires_grad for k, b in model.named_buffers()}, "frozen": frozen, "running": running}


def main():
    jobs = json.load(open(sys.argv[1]))
    out = []
    for i, job in enumerate(jobs):
        try:
            out.append(run(job, i))
        except Exception:
            out.append({"error": traceback.format_exc()})
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


main()
