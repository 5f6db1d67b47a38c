"""`python main.py import FILE.py:NAME -o NET.json`: a network file (and optionally a checkpoint) from a
PyTorch module. Loading FILE.py runs that Python file, as `python FILE.py` would: the user asks for it by
naming it. Network files themselves are never run. Every failure is one message and exit status 2."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from .parsing import OK, UNUSABLE

HELP = ("build a network file from a PyTorch nn.Module (this runs FILE.py, as `python FILE.py` would; only "
        "import files you trust)")
DESCRIPTION = ("Builds a network file from a PyTorch nn.Module traced with torch.fx. NAME is a class (built with "
               "no arguments) or a function returning a module, defined in FILE.py. Loading FILE.py runs its code "
               "as `python FILE.py` would, so import only files you trust; network files are never run.")


def add_parser(sub) -> None:
    p = sub.add_parser("import", help=HELP, description=DESCRIPTION)
    p.add_argument("target", metavar="FILE.py:NAME", help="the Python file and the class or function in it")
    p.add_argument("-o", "--output", metavar="NET.json", required=True, help="the network file to write")
    p.add_argument("--input-shape", metavar="N", type=int, nargs="+", required=True,
                   help="one sample's input shape without the batch axis, e.g. --input-shape 3 32 32")
    p.add_argument("--input-dtype", choices=("float32", "int64"), default="float32",
                   help="int64 for token ids (a model starting with nn.Embedding)")
    p.add_argument("--weights-out", metavar="CKPT",
                   help="also save the module's weights as a checkpoint for `train --resume`")
    p.add_argument("--name", help="the network's name (default: NAME)")


class LoadError(Exception):
    pass


def load_target(target: str):
    """The nn.Module named by FILE.py:NAME (built with no arguments). Raises LoadError with a reason."""
    from torch import nn
    file, sep, name = target.rpartition(":")
    if not sep or not file or not name:
        raise LoadError(f"'{target}' must be FILE.py:NAME, e.g. models.py:LeNet5.")
    path = Path(file)
    if not path.is_file():
        raise LoadError(f"no such Python file: {file}")
    module_name = "netwright_import_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{file} cannot be loaded as a Python module.")
    mod = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)             # so the file can import the modules beside it
    sys.modules[module_name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException as e:        # the user's file failed: say where, without a traceback
        if isinstance(e, KeyboardInterrupt):
            raise
        raise LoadError(f"running {file} failed: {type(e).__name__}: {_first_line(e)}{_where(e, path)}") from None
    finally:
        sys.path.remove(folder)
    obj = getattr(mod, name, None)
    if obj is None:
        found = sorted(k for k, v in vars(mod).items() if isinstance(v, type) and issubclass(v, nn.Module)
                       and getattr(v, "__module__", None) == module_name)
        raise LoadError(f"{file} has no '{name}'" + (f"; its modules: {', '.join(found)}" if found else "") + ".")
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise LoadError(f"'{name}' in {file} is a {type(obj).__name__}, not a class or function giving a module.")
    try:
        module = obj()
    except Exception as e:
        raise LoadError(f"{name}() failed: {type(e).__name__}: {_first_line(e)}{_where(e, path)}; NAME must be "
                        "built with no arguments (write a function that builds it with yours).") from None
    if not isinstance(module, nn.Module):
        raise LoadError(f"{name}() gives a {type(module).__name__}, not a torch.nn.Module.")
    return module


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [""])[0]


def _where(e: BaseException, path: Path) -> str:
    tb, line = e.__traceback__, None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line else ""


def weights_checkpoint(imported) -> dict:
    """A checkpoint of the module's weights that `train --resume` starts from (epoch 0, fresh optimizer)."""
    from engine.core.serialization import network_to_dict
    return {"model": imported.state_dict(), "network": network_to_dict(imported.network), "epoch": 0,
            "batch": 0, "step": 0, "history": [], "losses": [], "source": "import"}


def run(ns) -> int:
    from engine.runtime.importer import ImportProblem, import_module
    from engine.runtime.runs import save_checkpoint
    from engine.core.serialization import save_network
    out = Path(ns.output)
    for target in [out] + ([Path(ns.weights_out)] if ns.weights_out else []):
        if not target.resolve().parent.is_dir():
            sys.stderr.write(f"netwright: cannot write {target}: the folder {target.resolve().parent} does not "
                             "exist.\n")
            return UNUSABLE
    try:
        module = load_target(ns.target)
    except LoadError as e:
        sys.stderr.write(f"netwright: {e}\n")
        return UNUSABLE
    try:
        imported = import_module(module, ns.input_shape, ns.input_dtype, ns.name or ns.target.rpartition(":")[2])
    except ImportProblem as e:
        sys.stderr.write(f"netwright: {e}\n")
        return UNUSABLE
    try:
        save_network(imported.network, out)
        if ns.weights_out:
            save_checkpoint(weights_checkpoint(imported), ns.weights_out)
    except OSError as e:
        sys.stderr.write(f"netwright: cannot write: {e.strerror or e}.\n")
        return UNUSABLE
    params = sum(p.numel() for p in module.parameters() if p.requires_grad)
    also = f" and its weights {ns.weights_out}" if ns.weights_out else ""
    print(f"wrote {out}{also} ({len(imported.network.nodes)} blocks, {params:,} trainable parameters)")
    return OK
