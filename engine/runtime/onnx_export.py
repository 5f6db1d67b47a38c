"""Network → ONNX with a dynamic batch axis (`python main.py export NET.json --onnx model.onnx`).

Needs the optional extra `netwright[onnx]` (onnx; onnxruntime to check results). The file is written
by torch's ONNX exporter from the app's own model (engine.build_model), with the trained weights when
given, and checked with onnx.checker before it replaces the target.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

from engine.core.codegen import ExportError
from engine.core.files import atomic_write_bytes
from engine.core.graph import Network
from engine.core.shapes import infer_shapes

OPSET = 17
MISSING = "ONNX export needs the optional extra: pip install 'netwright[onnx]' (onnx and onnxruntime)."


class OnnxMissing(ExportError):
    """The onnx package is not installed."""


class OnnxUnsupported(ExportError):
    """ONNX cannot express the network (an operator it lacks, or a checker complaint)."""


def onnx_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("onnx") is not None


def export_onnx(net: Network, path, state: dict | None = None) -> None:
    """Write the network (with `state`, a state_dict, when given) as ONNX to `path`. Raises OnnxMissing
    without the extra and ExportError with a reason when the network cannot be expressed in ONNX."""
    if not onnx_available():
        raise OnnxMissing(MISSING)
    import onnx
    import torch

    from .build import ModelError, build_model
    try:
        model = build_model(net).eval()
    except ModelError as e:
        raise ExportError(str(e)) from None
    if state is not None:
        model.load_state_dict(state)
    results = infer_shapes(net)
    inputs = net.input_nodes()
    samples = tuple(torch.zeros((2, *results[i].shape), dtype=torch.int64) if results[i].dtype == "int64"
                    else torch.randn(2, *results[i].shape) for i in inputs)
    names = [f"input_{k}" if len(inputs) > 1 else "input" for k in range(len(inputs))]
    axes = {n: {0: "batch"} for n in [*names, "output"]}
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")        # the exporter's notes on tracing; the checker judges the file
            torch.onnx.export(model, samples, buffer, dynamo=False, input_names=names, output_names=["output"],
                              dynamic_axes=axes, opset_version=OPSET)
        onnx.checker.check_model(onnx.load_from_string(buffer.getvalue()))
    except Exception as e:       # an operator ONNX cannot express, or a checker complaint: one sentence
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise OnnxUnsupported(f"ONNX cannot express this network ({type(e).__name__}: {first[:300]}).") from None
    atomic_write_bytes(Path(path), buffer.getvalue())
