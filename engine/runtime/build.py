"""Network → torch.nn.Module. Imports torch; `import engine` alone does not."""
from __future__ import annotations

from torch import nn

from . import modules

from engine.core import sizes
from engine.core.blocks.spec import Module
from engine.core.graph import Network
from engine.core.names import attribute_name
from engine.core.ready import not_ready
from engine.core.shapes import infer_shapes


class ModelError(ValueError):
    """The network has errors, so no model can be built; the message lists them."""


def construct(m: Module) -> nn.Module:
    """The torch module a block's `Module` description names: torch.nn's class or one of engine/runtime/modules.py,
    called with its arguments (lists as tuples, as torch.nn likes them)."""
    cls = getattr(nn, m.cls[3:]) if m.helper is None else getattr(modules, m.helper)
    return cls(*map(_tuples, m.args), **{k: _tuples(v) for k, v in m.kwargs.items()})


def _tuples(v):
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


class NetwrightModel(nn.Module):
    """Runs the blocks in topological order. Blocks are attributes named after their node ids, and
    `forward(*inputs)` takes one tensor per Input block, in file order."""

    def __init__(self, net: Network):
        super().__init__()
        results = infer_shapes(net)
        problem = not_ready(net, results, "built")
        if problem:
            raise ModelError(problem)
        output = net.output_node()
        est = sizes.estimate(net, results)          # the weights are made on the CPU: refuse before allocating
        problem = sizes.memory_problem(net, est, est.weight_bytes, sizes.available_ram(), "Building this network",
                                       "this computer")
        if problem:
            raise ModelError(problem)
        self.input_ids = net.input_nodes()
        self.output_id = output
        taken: set[str] = set()
        self.attr = {nid: attribute_name(nid, taken) for nid in net.nodes}
        slot = {nid: i for i, nid in enumerate(self.input_ids)}
        needed = net.ancestors(output)
        plan = []
        for nid in net.topological_order():
            node = net.nodes[nid]
            if node.spec.source:
                continue
            srcs = net.inputs_of(nid)
            self.add_module(self.attr[nid], construct(node.spec.module_for([results[s].tensor for s in srcs],
                                                                           node.params)))
            if nid in needed:
                slot[nid] = len(slot)
                plan.append((self.attr[nid], tuple(slot[s] for s in srcs)))
        self.plan = plan
        self.input_shapes = [results[i].shape for i in self.input_ids]
        self.input_dtypes = [results[i].dtype for i in self.input_ids]
        self.output_shape = results[output].shape

    def forward(self, *inputs):
        if len(inputs) != len(self.input_ids):
            raise TypeError(f"this network takes {len(self.input_ids)} input(s) ({', '.join(self.input_ids)}), "
                            f"got {len(inputs)}")
        values = list(inputs)
        modules = self._modules
        for name, srcs in self.plan:
            values.append(modules[name](*[values[i] for i in srcs]))
        return values[-1]

    def block(self, node_id: str) -> nn.Module:
        """The module of a block, by node id."""
        return getattr(self, self.attr[node_id])


def build_model(net: Network) -> NetwrightModel:
    """The network as a torch module on the CPU; a ModelError (before anything is allocated) when it has
    errors or its weights would not fit in this computer's available memory."""
    return NetwrightModel(net)


def device_memory(device) -> int | None:
    """Bytes free on a torch device: CUDA's own count, the computer's available memory for the CPU and for
    Apple's unified memory; None when unknown."""
    import torch
    device = torch.device(device)
    if device.type == "cuda":
        try:
            return torch.cuda.mem_get_info(device)[0]
        except (RuntimeError, AssertionError):
            return None
    return sizes.available_ram()


def training_memory_problem(net: Network, device, batch_size: int, optimizer: str = "adam") -> str | None:
    """Why a training run of `net` cannot fit on `device` (a sentence with the estimate and the biggest
    blocks), or None. Pure arithmetic on the shapes plus one question to the device: call it before any data
    or weights are allocated. A network with errors is left to build_model, which names them."""
    results = infer_shapes(net)
    if any(r.error for r in results.values()):
        return None
    est = sizes.estimate(net, results)
    needed = est.training_bytes(batch_size, optimizer)
    kind = getattr(device, "type", str(device).split(":")[0])
    where = {"cpu": "this computer", "mps": "this Mac's unified memory"}.get(kind, f"the GPU {device}")
    return sizes.memory_problem(net, est, needed, device_memory(device),
                                f"Training with batch size {batch_size} and {optimizer}", where)
