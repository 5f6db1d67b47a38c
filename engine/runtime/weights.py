"""Trained weights for the exported file: read a checkpoint, check it fits the network, write a bare
state_dict. Imports torch."""
from __future__ import annotations

from engine.core.codegen import ExportError
from engine.core.graph import Network


def checkpoint_state(path) -> dict:
    """The model's state_dict from a Netwright checkpoint (a dict with the key "model") or from a file
    holding a bare state_dict. Raises ExportError with a reason when the file is not one of those."""
    import torch

    from engine.runtime.runs import torch_load
    try:
        checkpoint = torch_load(path)          # weights_only: reading the file runs no code
    except ValueError as e:
        raise ExportError(str(e)) from None
    except Exception as e:      # a corrupt or foreign file: say so, without a traceback
        first = (str(e).strip().splitlines() or [""])[0]
        raise ExportError(f"{path} is not a readable PyTorch checkpoint ({type(e).__name__}: {first}).") from None
    state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ExportError(f"{path} holds no model weights (expected a checkpoint with the key 'model').")
    return state


def weights_problem(net: Network, state: dict) -> str | None:
    """Why a state_dict does not load into the exported Net (a sentence), or None when it loads. Checked
    against the engine's own model (build_model), whose attributes the exported Net has: the exported
    file is never run."""
    from engine.runtime.build import ModelError, build_model
    try:
        model = build_model(net)
    except ModelError as e:        # e.g. too big for this computer's memory: say so, as an ExportError
        raise ExportError(str(e)) from None
    from engine.runtime.runs import weights_mismatch      # the same words as `train --resume`: keys missing, unexpected, reshaped
    problem = weights_mismatch(model.state_dict(), state)
    return f"the weights do not fit this network ({problem})" if problem else None


def save_weights(state: dict, path) -> None:
    """Write a bare state_dict (tensors only, loadable with weights_only=True), atomically."""
    import torch

    from engine.core.files import atomic_write
    atomic_write(path, lambda f: torch.save({k: v.detach().cpu() for k, v in state.items()}, f))
