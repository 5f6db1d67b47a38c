"""Size sanity before anything is allocated: how many parameters a network holds, how much memory its
activations take per sample, what building or training it needs, and whether that fits the memory at hand.

Pure arithmetic on the shape results (no torch, no Qt). Above PARAM_LIMIT parameters or ACTIVATION_LIMIT
bytes of activations per sample, shape inference warns on the biggest blocks (so `check` and the app say
it); `build_model`, `train` and the app's Start refuse when the estimate exceeds the memory available.
The device's memory is asked for at the runtime boundary (engine/runtime/build.py); the CPU's is read here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

PARAM_LIMIT = 10 ** 9                 # parameters: beyond this a network does not train on one ordinary GPU
ACTIVATION_LIMIT = 4 * 2 ** 30        # bytes of block outputs per sample (float32): 4 GiB
BYTES_PER_PARAM = 4                   # float32 weights
NAMED = 3                             # biggest blocks named in a warning or a refusal

# Copies of the parameters a training step keeps: weights, gradients, and the optimizer's state per weight.
OPTIMIZER_COPIES = {"adam": 2, "adamw": 2, "sgd": 1}


def human_bytes(n: float) -> str:
    """2.5 GiB, 700 GiB, 3.6 TiB, ... (binary units, as memory is sold and reported)."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return ""


def human_count(n: int) -> str:
    return f"{n:,}" if n < 10 ** 15 else f"{n:.2e}"


@dataclass(frozen=True)
class SizeEstimate:
    params: int                                 # trainable parameters of the whole network
    activation_bytes: int                       # every block's output for one sample
    biggest_params: tuple[tuple[str, int], ...]         # (node id, parameters), largest first
    biggest_activations: tuple[tuple[str, int], ...]    # (node id, bytes per sample), largest first

    @property
    def weight_bytes(self) -> int:
        return self.params * BYTES_PER_PARAM

    def training_bytes(self, batch_size: int, optimizer: str = "adam") -> int:
        """A lower bound of what one training step holds: weights, gradients, optimizer state, and every
        block's output for the batch (kept for the backward pass)."""
        copies = 2 + OPTIMIZER_COPIES.get(optimizer, 2)
        return self.weight_bytes * copies + self.activation_bytes * max(int(batch_size), 1)

    def biggest_text(self, by: str = "params", net=None) -> str:
        rows = self.biggest_params if by == "params" else self.biggest_activations
        parts = []
        for nid, n in rows:
            label = f"{net.nodes[nid].spec.label} '{nid}'" if net is not None else f"'{nid}'"
            parts.append(f"{label} ({human_count(n)} parameters)" if by == "params" else
                         f"{label} ({human_bytes(n)} per sample)")
        return ", ".join(parts)


def estimate(net, results: dict) -> SizeEstimate:
    """Sizes from shape results: blocks without a shape (errors) count nothing."""
    params, memory = [], []
    for nid, r in results.items():
        if r.shape is None:
            continue
        if r.params:
            params.append((r.params, nid))
        if r.memory:
            memory.append((r.memory, nid))
    top_p = sorted(params, reverse=True)[:NAMED]
    top_m = sorted(memory, reverse=True)[:NAMED]
    return SizeEstimate(sum(n for n, _ in params), sum(n for n, _ in memory),
                        tuple((nid, n) for n, nid in top_p), tuple((nid, n) for n, nid in top_m))


def size_warnings(net, est: SizeEstimate) -> dict[str, list[str]]:
    """Warnings for the biggest blocks when the network is above the sane limits (node id -> sentences)."""
    out: dict[str, list[str]] = {}
    if est.params > PARAM_LIMIT:
        for nid, n in est.biggest_params:
            spec = net.nodes[nid].spec
            out.setdefault(nid, []).append(
                f"{spec.label} '{nid}' holds {human_count(n)} parameters ({human_bytes(n * BYTES_PER_PARAM)} as "
                f"float32); the network has {human_count(est.params)} in all, above {PARAM_LIMIT:,}, beyond which it "
                f"hardly trains on one computer (training keeps 16 bytes per parameter with Adam). Make the biggest "
                f"blocks smaller.")
    if est.activation_bytes > ACTIVATION_LIMIT:
        for nid, n in est.biggest_activations:
            spec = net.nodes[nid].spec
            out.setdefault(nid, []).append(
                f"{spec.label} '{nid}' outputs {human_bytes(n)} per sample; the network's activations take "
                f"{human_bytes(est.activation_bytes)} per sample in all, above {human_bytes(ACTIVATION_LIMIT)}, "
                f"so even one sample barely fits in memory. Use a smaller input or pool/stride earlier.")
    return out


def available_ram() -> int | None:
    """Bytes of memory available to a new allocation on this computer (MemAvailable on Linux, the free
    pages elsewhere), or None when the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    for pages in ("SC_AVPHYS_PAGES", "SC_PHYS_PAGES"):
        try:
            return os.sysconf(pages) * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            continue
    return None


def memory_problem(net, est: SizeEstimate, needed: int, available: int | None, what: str, where: str) -> str | None:
    """A sentence refusing `what` (e.g. "Training with batch size 64") when `needed` bytes exceed `available`
    on `where` (e.g. "the CPU"), naming the estimate and the biggest blocks; None when it fits or is unknown."""
    if available is None or needed <= available:
        return None
    by = "params" if est.weight_bytes * 4 >= est.activation_bytes else "activations"
    return (f"{what} needs at least {human_bytes(needed)} ({human_count(est.params)} parameters, "
            f"{human_bytes(est.activation_bytes)} of activations per sample), but {where} has "
            f"{human_bytes(available)} available, so nothing was allocated. The biggest blocks: "
            f"{est.biggest_text(by, net)}.")


def start_problem(net, results: dict, device: str = "auto", batch_size: int = 64, optimizer: str = "adam") -> str | None:
    """Why a training run cannot start here, judged before any process starts (the app's Start): the weights
    are always made in this computer's memory first; on the CPU the whole training step must fit there too.
    (A GPU's own memory is asked by the training process itself, before it allocates anything.)"""
    est = estimate(net, results)
    ram = available_ram()
    problem = memory_problem(net, est, est.weight_bytes, ram, "Building this network's weights", "this computer")
    if problem or str(device).strip().lower() != "cpu":
        return problem
    return memory_problem(net, est, est.training_bytes(batch_size, optimizer), ram,
                          f"Training with batch size {batch_size} and {optimizer}", "this computer")
