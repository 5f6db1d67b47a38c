"""`export NET.json --script train.py` and `export NET.json --onnx model.onnx [--weights CKPT]`
(the plain `export -o model.py` lives in app/cli.py). One line on stderr and exit 2 (unusable input)
or 1 (a network with errors) when something is wrong; never a traceback."""
from __future__ import annotations

import sys
from pathlib import Path

OK, NETWORK_ERRORS, UNUSABLE = 0, 1, 2


def _folder_ok(target: Path) -> bool:
    if not target.resolve().parent.is_dir():
        sys.stderr.write(f"netwright: cannot write {target}: the folder {target.resolve().parent} does not exist.\n")
        return False
    return True


def read_weights(net, weights: str) -> dict | None:
    """The state_dict of a checkpoint that fits the network, or None after one line on stderr saying why."""
    from engine.export import ExportError, checkpoint_state, weights_problem
    if not Path(weights).is_file():
        sys.stderr.write(f"netwright: no such checkpoint file: {weights}\n")
        return None
    try:
        state = checkpoint_state(weights)
        problem = weights_problem(net, state)     # against the engine's model: nothing exported runs
    except ExportError as e:
        sys.stderr.write(f"netwright: {e}\n")
        return None
    if problem:
        sys.stderr.write(f"netwright: {weights}: {problem}; was the checkpoint trained on another version of "
                         f"this network?\n")
        return None
    return state


def script(net, path: str, target: str) -> int:
    from engine.export import ExportCodeError, ExportError
    from engine.files import atomic_write_text
    from engine.script_export import ScriptUnusable, export_script
    out = Path(target)
    if not _folder_ok(out):
        return UNUSABLE
    try:
        code = export_script(net, source=Path(path).name)
    except (ScriptUnusable, ExportCodeError) as e:
        sys.stderr.write(f"netwright: {e}\n")
        return UNUSABLE
    except ExportError as e:             # the network has errors
        sys.stderr.write(f"netwright: {e}\n")
        return NETWORK_ERRORS
    try:
        atomic_write_text(out, code)
    except OSError as e:
        sys.stderr.write(f"netwright: cannot write {out}: {e.strerror or e}.\n")
        return UNUSABLE
    print(f"wrote {out} (python {out.name}, or torchrun --nproc_per_node=N {out.name})")
    return OK


def onnx(net, target: str, weights: str | None) -> int:
    from engine.export import ExportError
    from engine.onnx_export import MISSING, OnnxMissing, OnnxUnsupported, export_onnx, onnx_available
    if not onnx_available():
        sys.stderr.write(f"netwright: {MISSING}\n")
        return UNUSABLE
    out = Path(target)
    if not _folder_ok(out):
        return UNUSABLE
    state = None
    if weights is not None:
        state = read_weights(net, weights)
        if state is None:
            return UNUSABLE
    try:
        export_onnx(net, out, state)
    except (OnnxMissing, OnnxUnsupported) as e:
        sys.stderr.write(f"netwright: {e}\n")
        return UNUSABLE
    except ExportError as e:             # the network has errors
        sys.stderr.write(f"netwright: {e}\n")
        return NETWORK_ERRORS
    except OSError as e:
        sys.stderr.write(f"netwright: cannot write {out}: {e.strerror or e}.\n")
        return UNUSABLE
    print(f"wrote {out} (ONNX opset 17, dynamic batch axis)")
    return OK
