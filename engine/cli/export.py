"""`python main.py export NET.json`: the network as a PyTorch file (`-o model.py`, with `--weights` its
trained weights beside it), a standalone training script (`--script train.py`) or ONNX (`--onnx model.onnx`).
One line on stderr and exit 2 (unusable input) or 1 (a network with errors) when something is wrong; never a
traceback, and the generated code is compiled, never run."""
from __future__ import annotations

import sys
from pathlib import Path

from .parsing import NETWORK_ERRORS, OK, UNUSABLE, load, say, shown


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write the network as a PyTorch file with class Net(nn.Module)")
    p.add_argument("network", metavar="NET.json")
    p.add_argument("-o", "--output", metavar="model.py", help="file to write (default: print it)")
    p.add_argument("--weights", metavar="CHECKPOINT", help="a training checkpoint the file loads")
    p.add_argument("--script", metavar="train.py", help="write a standalone training script instead (torch and "
                   "numpy; runs as python train.py or torchrun --nproc_per_node=N train.py)")
    p.add_argument("--onnx", metavar="model.onnx", help="write ONNX with a dynamic batch axis instead (needs "
                   "pip install 'netwright[onnx]'); --weights gives it trained weights")


def run(ns) -> int:
    if ns.script and ns.onnx or (ns.script or ns.onnx) and ns.output:
        say("give one of -o, --script and --onnx.")
        return UNUSABLE
    if ns.script and ns.weights:
        say("--weights goes with -o or --onnx; the training script trains its own.")
        return UNUSABLE
    if not (ns.script or ns.onnx):
        return export(ns.network, ns.output, ns.weights)
    net = load(ns.network)
    if net is None:
        return UNUSABLE
    return script(net, ns.network, ns.script) if ns.script else onnx(net, ns.onnx, ns.weights)


def _warn_if_huge(net) -> None:
    """Above the sane sizes (engine/core/sizes.py) the exported file may not run anywhere: say so on stderr."""
    from engine import infer_shapes
    from engine.core.sizes import estimate, size_warnings
    for warnings in size_warnings(net, estimate(net, infer_shapes(net))).values():
        for w in warnings:
            say(f"warning: {w}")


def export(path: str, output: str | None, weights: str | None) -> int:
    """Write the network as Python; with a checkpoint, also its weights beside the file (MODEL.weights.pt:
    tensors only, so the exported file loads them with torch.load(weights_only=True))."""
    if weights is not None and not output:
        say("--weights needs -o FILE: the weights are written beside the exported file.")
        return UNUSABLE
    if output and not _folder_ok(Path(output)):
        return UNUSABLE
    net = load(path)
    if net is None:
        return UNUSABLE
    _warn_if_huge(net)
    from engine.core.codegen import ExportCodeError, ExportError, export_code
    from engine.runtime.weights import save_weights
    target = Path(output) if output else None
    sidecar = target.with_name(target.stem + ".weights.pt") if weights is not None else None
    try:
        code = export_code(net, sidecar.name if sidecar else None, source=Path(path).name)   # compiled, never run
    except ExportCodeError as e:
        say(shown(str(e), None))
        return UNUSABLE
    except ExportError as e:
        say(shown(str(e), None))
        return NETWORK_ERRORS
    if weights is not None:
        state = read_weights(net, weights)
        if state is None:
            return UNUSABLE
    if target is None:
        sys.stdout.write(code)
        return OK
    from engine.core.files import atomic_write_text
    try:
        if sidecar is not None:
            save_weights(state, sidecar)
        atomic_write_text(target, code)
    except (OSError, RuntimeError) as e:
        say(f"cannot write {target}: {getattr(e, 'strerror', None) or e}.")
        return UNUSABLE
    also = f" and its weights {sidecar}" if sidecar else ""
    print(f"wrote {target}{also} (class Net; `python {target}` runs one forward pass)")
    return OK


def _folder_ok(target: Path) -> bool:
    if not target.resolve().parent.is_dir():
        say(f"cannot write {target}: the folder {target.resolve().parent} does not exist.")
        return False
    return True


def read_weights(net, weights: str) -> dict | None:
    """The state_dict of a checkpoint that fits the network, or None after one line on stderr saying why."""
    from engine.core.codegen import ExportError
    from engine.runtime.weights import checkpoint_state, weights_problem
    if not Path(weights).is_file():
        say(f"no such checkpoint file: {weights}")
        return None
    try:
        state = checkpoint_state(weights)
        problem = weights_problem(net, state)     # against the engine's model: nothing exported runs
    except ExportError as e:
        say(shown(str(e), None))
        return None
    if problem:
        say(f"{weights}: {problem}; was the checkpoint trained on another version of this network?")
        return None
    return state


def script(net, path: str, target: str) -> int:
    from engine.core.codegen import ExportCodeError, ExportError
    from engine.core.files import atomic_write_text
    from engine.runtime.script_export import ScriptUnusable, export_script
    out = Path(target)
    if not _folder_ok(out):
        return UNUSABLE
    try:
        code = export_script(net, source=Path(path).name)
    except (ScriptUnusable, ExportCodeError) as e:
        say(shown(str(e), None))
        return UNUSABLE
    except ExportError as e:             # the network has errors
        say(shown(str(e), None))
        return NETWORK_ERRORS
    try:
        atomic_write_text(out, code)
    except OSError as e:
        say(f"cannot write {out}: {e.strerror or e}.")
        return UNUSABLE
    print(f"wrote {out} (python {out.name}, or torchrun --nproc_per_node=N {out.name})")
    return OK


def onnx(net, target: str, weights: str | None) -> int:
    from engine.core.codegen import ExportError
    from engine.runtime.onnx_export import MISSING, OnnxMissing, OnnxUnsupported, export_onnx, onnx_available
    if not onnx_available():
        say(f"{MISSING}")
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
        say(shown(str(e), None))
        return UNUSABLE
    except ExportError as e:             # the network has errors
        say(shown(str(e), None))
        return NETWORK_ERRORS
    except OSError as e:
        say(f"cannot write {out}: {e.strerror or e}.")
        return UNUSABLE
    print(f"wrote {out} (ONNX opset 17, dynamic batch axis)")
    return OK
