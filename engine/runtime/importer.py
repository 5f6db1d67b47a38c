"""A torch.nn.Module → a Netwright network (`python main.py import`, `engine.from_module`).

The module is traced with torch.fx and run once on a sample batch (ShapeProp) so every value's shape
is known. Each torch.nn layer becomes the catalog block of the same name with its settings read
from the module; torch.flatten, view/reshape, permute/transpose, cat, +, and the functional
activations and pools become glue blocks. Whatever has no block is collected and reported
together: `ImportProblem.problems` lists (module path, what it is, why), never a traceback.

Imports torch; `import engine` alone does not import this module.
"""
from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx, nn

from engine.core.blocks import BLOCKS
from engine.core.graph import Network, free_id
from engine.core.layout import layered_layout
from engine.core.shapes import infer_shapes

BATCH = 2          # the sample batch the module is run on to learn every value's shape


class ImportProblem(ValueError):
    """The module cannot become a network; `problems` holds (path, what, why) for each reason."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines = [f"{path or '(top level)'}: {what}: {why}" for path, what, why in problems]
        super().__init__("The module cannot be imported:\n- " + "\n- ".join(lines))


@dataclass
class Imported:
    """The result of an import: the network and, per block, the module whose weights it takes."""
    network: Network
    modules: dict[str, nn.Module] = field(default_factory=dict)

    def state_dict(self) -> dict:
        """The weights as the network's built model (engine.build_model) names them."""
        from .build import build_model
        model = build_model(self.network)
        for nid, module in self.modules.items():
            block = model.block(nid)
            target = getattr(block, "rnn", block) if isinstance(module, nn.RNNBase) else block
            target.load_state_dict(module.state_dict())
        return {k: v.detach().clone() for k, v in model.state_dict().items()}


# ---- values flowing through the traced graph -------------------------------------------------------

@dataclass
class _Val:
    kind: str            # "t" batch-first tensor, "tm" time-major (T, B, ...) tensor, "meta" sizes,
    #                      "rnn" a recurrent layer's (output, state), "h" h_n, "hc" an LSTM's (h_n, c_n)
    node: str | None = None      # the Netwright node holding the data
    fx_node: object = None


class _Builder:
    def __init__(self, root: nn.Module, graph: fx.Graph):
        self.root = root
        self.graph = graph
        self.nodes: dict[str, dict] = {}        # id → {"type", "params", "inputs", "scope"}
        self.modules: dict[str, nn.Module] = {}
        self.values: dict[fx.Node, _Val] = {}
        self.problems: list[tuple[str, str, str]] = []
        self.rnn_modes: dict[str, set] = {}    # recurrent block → {"seq", "last"}
        self.calls: dict[int, int] = {}        # id(module with weights) → calls so far
        self.adds: set[str] = set()            # the Add blocks made so far ((a + b) + c joins the first)

    # ---- helpers ----
    def problem(self, n: fx.Node, what: str, why: str) -> None:
        self.problems.append((_scope(n), what, why))

    def block(self, n: fx.Node, typ: str, params: dict, inputs: list[str], scope: str | None = None,
              suffix: str = "") -> _Val:
        nid = n.target if n.op == "placeholder" else n.name + suffix   # fx renames an argument input to input_1
        if nid in self.nodes:
            nid = free_id(nid, self.nodes)
        self.nodes[nid] = {"type": typ, "params": params, "inputs": list(inputs),
                           "scope": _scope(n) if scope is None else scope}
        v = _Val("t", nid, n)
        self.values[n] = v
        return v

    def shape(self, n) -> tuple | None:
        meta = n.meta.get("tensor_meta") if isinstance(n, fx.Node) else None
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None

    def tensor_in(self, n: fx.Node, arg, what: str) -> str | None:
        """The Netwright node of an argument that must be a batch-first tensor (None after a problem)."""
        v = self.values.get(arg) if isinstance(arg, fx.Node) else None
        if v is None:
            if isinstance(arg, fx.Node):
                return None                        # its own problem is already named
            self.problem(n, what, f"takes the constant {arg!r} where a block needs the output of another block")
            return None
        if v.kind == "t":
            if v.node in self.rnn_modes and v.fx_node != "last":
                self.rnn_modes[v.node].add("seq")
            return v.node
        if v.kind == "tm":
            self.problem(n, what, "reads a time-major [T, B, …] tensor (from a batch_first=False recurrent layer "
                         "or a transpose of the batch axis); Netwright keeps the batch axis first: transpose it "
                         "back with .transpose(0, 1) or use batch_first=True")
        else:
            self.problem(n, what, "uses the (output, state) tuple of a recurrent layer; take its output [0]")
        return None

    # ---- the walk ----
    def run(self, input_shape, input_dtype) -> None:
        for n in self.graph.nodes:
            try:
                self.visit(n, input_shape, input_dtype)
            except _Skip:
                pass
            except Exception as e:        # a module or call we misread: name it, never a traceback
                self.problem(n, str(n.target), f"could not be read ({type(e).__name__}: {e})")

    def visit(self, n: fx.Node, input_shape, input_dtype) -> None:
        if not n.users and n.op not in ("placeholder", "output"):
            return                  # dead code (an unused `_` of `out, _ = self.rnn(x)`): nothing to map
        if n.op == "placeholder":
            if any(v.kind == "t" and BLOCKS[self.nodes[v.node]["type"]].source for v in self.values.values()):
                self.problem(n, f"input '{n.name}'", "a second input; import a module whose forward takes one tensor")
                return
            params = {"shape": list(input_shape)}
            if input_dtype != "float32":
                params["dtype"] = input_dtype
            self.block(n, "Input", params, [], "")
        elif n.op == "call_module":
            self.call_module(n, self.root.get_submodule(n.target))
        elif n.op in ("call_function", "call_method"):
            self.call_function(n)
        elif n.op == "get_attr":
            self.problem(n, f"'{n.target}'", "the forward uses a parameter or buffer directly, which no block holds")
        elif n.op == "output":
            out = n.args[0]
            if not isinstance(out, fx.Node):
                self.problem(n, "the output", "the forward returns several values (or a constant); return one tensor")
                return
            self.output = self.tensor_in(n, out, "the output")

    # ---- modules ----
    def call_module(self, n: fx.Node, m: nn.Module) -> None:
        path = n.target
        what = f"{type(m).__name__}"
        if isinstance(m, nn.Identity):
            self._alias(n, n.args[0], what)
            return
        if any(True for _ in m.parameters(recurse=True)) or any(True for _ in m.buffers()):
            count = self.calls[id(m)] = self.calls.get(id(m), 0) + 1
            if count > 1:
                self.problem(n, what, f"is called {count} times (shared weights); every Netwright block has "
                             "weights of its own: use one module per call")
                raise _Skip
        if isinstance(m, nn.RNNBase):
            self.recurrent(n, m)
            return
        mapper = MODULES.get(type(m))
        if mapper is None:
            self.problem(n, what, f"has no Netwright block ({type(m).__module__}.{type(m).__qualname__}); the "
                         f"catalog has {', '.join(sorted({c.__name__ for c in MODULES}))}")
            raise _Skip
        try:                        # its own settings first, so they are named even after a problem upstream
            typ, params = mapper(m, self.shape(n.args[0]), self.shape(n))
        except _Unsupported as e:
            self.problem(n, what, str(e))
            raise _Skip from None
        src = self.tensor_in(n, n.args[0] if n.args else None, what)
        if src is None:
            raise _Skip
        if typ is None:                   # a flatten / reshape decided by the shapes
            typ, params = self._reshape_like(n, what, src)
        self.block(n, typ, params, [src], path.rpartition(".")[0])
        if type(m) in WEIGHTED:
            self.modules[n.name] = m

    def recurrent(self, n: fx.Node, m: nn.RNNBase) -> None:
        what = type(m).__name__
        if type(m) not in (nn.RNN, nn.LSTM, nn.GRU):
            self.problem(n, what, "has no Netwright block")
            raise _Skip
        if len(n.args) > 1 or n.kwargs:
            self.problem(n, what, "is given an initial state; Netwright's recurrent blocks start from zeros")
            raise _Skip
        if getattr(m, "proj_size", 0):
            self.problem(n, what, f"proj_size={m.proj_size} has no setting in the LSTM block")
            raise _Skip
        arg = n.args[0]
        v = self.values.get(arg)
        if v is None:
            raise _Skip
        if m.batch_first and v.kind != "t" or not m.batch_first and v.kind != "tm":
            if m.batch_first:
                self.tensor_in(n, arg, what)
            else:
                self.problem(n, what, "batch_first=False reads [T, B, F], but its input has the batch axis first "
                             "as Netwright's blocks do; set batch_first=True, or transpose the input with "
                             ".transpose(0, 1) or .permute(1, 0, 2) before the layer (and back after it)")
            raise _Skip
        params = {"hidden_size": m.hidden_size}
        if m.num_layers != 1:
            params["num_layers"] = m.num_layers
        if isinstance(m, nn.RNN) and m.nonlinearity != "tanh":
            params["nonlinearity"] = m.nonlinearity
        if m.bidirectional:
            params["bidirectional"] = True
        if m.dropout:
            params["dropout"] = float(m.dropout)
        if not m.bias:
            params["bias"] = False
        self.block(n, what, params, [v.node], n.target.rpartition(".")[0])
        self.rnn_modes[n.name] = set()
        self.modules[n.name] = m
        self.values[n] = _Val("rnn", n.name, {"time_major": not m.batch_first, "module": m})

    # ---- functions and methods ----
    def call_function(self, n: fx.Node) -> None:
        t = n.target
        name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
        what = f"{name}()" if n.op == "call_function" else f".{name}()"
        if n.op == "call_method" and name in ("size", "dim") or t is getattr and n.args[1:] in (("shape",),):
            self.values[n] = _Val("meta")
            return
        if t is operator.getitem:
            self.getitem(n)
            return
        args = list(n.args)
        first = args[0] if args else None
        if isinstance(first, fx.Node) and self.values.get(first, _Val("x")).kind == "meta":
            self.values[n] = _Val("meta")
            return
        if n.op == "call_method" and name in ("contiguous", "clone", "detach") or t in (torch.clone,):
            self._alias(n, first, what)
            return
        key = name if n.op == "call_method" else t
        if key in ADD_OPS:
            self.add(n, what)
            return
        if key in CAT_OPS:
            self.concat(n, what)
            return
        if key in PERMUTE_OPS:
            self.permute(n, what, key)
            return
        if key in MEAN_OPS:
            self.mean(n, what)
            return
        if key in RESHAPE_OPS:
            src = self.tensor_in(n, first, what)
            if src is None:
                raise _Skip
            typ, params = self._reshape_like(n, what, src)
            self.block(n, typ, params, [src])
            return
        mapper = FUNCTIONS.get(key)
        if mapper is None:
            self.problem(n, what, "has no Netwright block (the catalog's glue is flatten, view/reshape, "
                         "permute/transpose, cat, +, and the activations and pools of torch.nn.functional)")
            raise _Skip
        src = self.tensor_in(n, first, what)
        if src is None:
            raise _Skip
        try:
            typ, params = mapper(_Args(args[1:], n.kwargs), self.shape(first))
        except _Unsupported as e:
            self.problem(n, what, str(e))
            raise _Skip from None
        self.block(n, typ, params, [src])

    def _alias(self, n, arg, what) -> None:
        v = self.values.get(arg)
        if v is None:
            if not isinstance(arg, fx.Node):
                self.problem(n, what, "has no tensor input")
            raise _Skip
        self.values[n] = v

    def _reshape_like(self, n, what, src) -> tuple[str, dict]:
        before, after = self.shape(n.args[0]), self.shape(n)
        if before is None or after is None or not after or after[0] != BATCH:
            self.problem(n, what, "changes the batch axis (e.g. view(-1) or flatten(x) without start_dim=1); "
                         "Netwright's blocks keep one sample per row: use x.flatten(1) or x.view(x.size(0), -1)")
            raise _Skip
        if len(after) == 2 and n.op != "call_module" and n.target in FLATTEN_OPS:
            return "Flatten", {}
        return "Reshape", {"shape": list(after[1:])}

    def add(self, n, what) -> None:
        a, b = (list(n.args) + [n.kwargs.get("other")])[:2]
        if n.kwargs.get("alpha", 1) != 1 or len(n.args) > 2:
            self.problem(n, what, "adds with alpha; the Add block adds its inputs as they are")
            raise _Skip
        if not (isinstance(a, fx.Node) and isinstance(b, fx.Node)):
            self.problem(n, what, "adds a constant; the Add block adds the outputs of blocks")
            raise _Skip
        srcs = [self.tensor_in(n, a, what), self.tensor_in(n, b, what)]
        if None in srcs:
            raise _Skip
        left = self.nodes.get(srcs[0])
        if (left is not None and srcs[0] in self.adds and len(a.users) == 1 and srcs[0] not in srcs[1:]
                and left["scope"] == _scope(n)):
            left["inputs"].append(srcs[1])                  # (a + b) + c: one Add with three inputs
            self.values[n] = self.values[a]
            return
        self.block(n, "Add", {}, srcs)
        self.adds.add(self.values[n].node)

    def concat(self, n, what) -> None:
        args = _Args(n.args, n.kwargs)
        tensors = args.get(0, "tensors", None)
        dim = args.get(1, "dim", 0)
        if not isinstance(tensors, (list, tuple)) or len(tensors) < 2:
            self.problem(n, what, "needs a list of two or more tensors")
            raise _Skip
        srcs = [self.tensor_in(n, x, what) for x in tensors]
        if None in srcs:
            raise _Skip
        rank = len(self.shape(n) or ())
        d = dim % rank if rank else dim
        if d == 0:
            self.problem(n, what, "joins along the batch axis; the Concat block joins the parts of each sample")
            raise _Skip
        self.block(n, "Concat", {"dim": d - 1}, srcs)

    def mean(self, n, what) -> None:
        """x.mean over the spatial axes (global average pooling) or over the time steps of a sequence:
        AdaptiveAvgPool(1), after a Permute for [T, F], then Flatten unless keepdim."""
        first = n.args[0]
        src = self.tensor_in(n, first, what)
        if src is None:
            raise _Skip
        args = _Args(n.args[1:], n.kwargs)
        rank = len(self.shape(first) or ())
        dims = args.get(0, "dim", None)
        dims = sorted({d % rank for d in (dims if isinstance(dims, (list, tuple)) else [dims])}) if dims is not None \
            else None
        keep = bool(args.get(1, "keepdim", False))
        if rank == 4 and dims == [2, 3]:
            steps = [("AdaptiveAvgPool2d", {"output_size": 1})]
        elif rank == 3 and dims == [2]:
            steps = [("AdaptiveAvgPool1d", {"output_size": 1})]
        elif rank == 3 and dims == [1] and not keep:
            steps = [("Permute", {"dims": [1, 0]}), ("AdaptiveAvgPool1d", {"output_size": 1})]
        else:
            self.problem(n, what, f"averages over axes {dims} of a {rank}-axis tensor; only the spatial axes of an "
                         "image or signal (global average pooling) or the time steps of a sequence have blocks")
            raise _Skip
        if not keep:
            steps.append(("Flatten", {}))
        for i, (typ, params) in enumerate(steps):
            v = self.block(n, typ, params, [src], suffix="" if i == len(steps) - 1 else f"_{typ.lower()}")
            src = v.node

    def permute(self, n, what, key) -> None:
        first = n.args[0]
        v = self.values.get(first)
        if v is None:
            raise _Skip
        rank = len(self.shape(first) or ())
        rest = list(n.args[1:])
        if key in ("transpose", torch.transpose) or key == "swapaxes":
            a, b = _Args(rest, n.kwargs).get(0, "dim0", 0), _Args(rest, n.kwargs).get(1, "dim1", 1)
            dims = list(range(rank))
            dims[a % rank], dims[b % rank] = dims[b % rank], dims[a % rank]
        else:
            dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else rest
            dims = list(n.kwargs.get("dims", dims))
            dims = [d % rank for d in dims]
        if v.kind in ("t", "tm") and rank == 3 and dims == [1, 0, 2]:
            if v.kind == "t" and v.node in self.rnn_modes and v.fx_node != "last":
                self.rnn_modes[v.node].add("seq")
            self.values[n] = _Val("tm" if v.kind == "t" else "t", v.node, n)   # batch ↔ time, for the RNN
            return
        src = self.tensor_in(n, first, what)
        if src is None:
            raise _Skip
        if not dims or dims[0] != 0:
            self.problem(n, what, f"moves the batch axis (dims {dims}); the Permute block reorders the axes of "
                         "each sample")
            raise _Skip
        self.block(n, "Permute", {"dims": [d - 1 for d in dims[1:]]}, [src])

    def getitem(self, n) -> None:
        base, index = n.args
        v = self.values.get(base)
        if v is None:
            raise _Skip
        what = f"[{_index_text(index)}]"
        if v.kind == "meta":
            self.values[n] = v
        elif v.kind == "rnn" and index in (0, 1):
            info = v.fx_node
            if index == 0:
                self.values[n] = _Val("tm" if info["time_major"] else "t", v.node, n)
            else:
                self.values[n] = _Val("hc" if isinstance(info["module"], nn.LSTM) else "h", v.node, info)
        elif v.kind == "hc" and index in (0, 1):
            if index == 1:
                self.problem(n, "the LSTM's cell state c_n", "no block outputs it; use the output or h_n")
                raise _Skip
            self.values[n] = _Val("h", v.node, v.fx_node)
        elif v.kind == "h" and index == -1 and not v.fx_node["module"].bidirectional:
            self.last_step(n, v.node)
        elif v.kind == "t" and v.node in self.rnn_modes and v.fx_node != "last" and _is_last_step(index, batch_first=True):
            self.last_step(n, v.node)
        elif v.kind == "tm" and v.node in self.rnn_modes and _is_last_step(index, batch_first=False):
            self.last_step(n, v.node)
        else:
            why = ("the last layer's final state of a bidirectional layer is not its last output step; use the "
                   "output [:, -1]" if v.kind == "h" else
                   "indexing and slicing have no block; the last time step of a recurrent layer's output "
                   "(out[:, -1]) is its return_sequences=False setting")
            self.problem(n, what, why)
            raise _Skip

    def last_step(self, n, nid) -> None:
        self.rnn_modes[nid].add("last")
        self.values[n] = _Val("t", nid, "last")

    # ---- the network ----
    def network(self, name: str) -> Network:
        for nid, modes in self.rnn_modes.items():
            if modes == {"last"}:
                self.nodes[nid]["params"]["return_sequences"] = False
            elif len(modes) > 1:
                self.problems.append((self.nodes[nid]["scope"], self.nodes[nid]["type"],
                                      "both its output sequence and its last step are used; one block gives one "
                                      "of them"))
        if self.problems:
            raise ImportProblem(self.problems)
        ids = self._readable_ids()
        net = Network(name)
        keep = self._needed()
        for nid, nd in self.nodes.items():
            if nid in keep:
                net.add_node(nd["type"], nd["params"], ids[nid])
        for nid, nd in self.nodes.items():
            if nid in keep:
                for src in nd["inputs"]:
                    net.connect(ids[src], ids[nid], check=False)
        self.modules = {ids[k]: m for k, m in self.modules.items() if k in keep}
        return net

    def _needed(self) -> set[str]:
        seen, todo = set(), [self.output] if getattr(self, "output", None) else []
        while todo:
            nid = todo.pop()
            if nid not in seen:
                seen.add(nid)
                todo += self.nodes[nid]["inputs"]
        seen.update(k for k, nd in self.nodes.items() if BLOCKS[nd["type"]].source)
        return seen

    def _readable_ids(self) -> dict[str, str]:
        """fx names, except that a submodule holding a single block names it (an exported
        `self.gru = Recurrent(...)` or `self.flat = Reshape(...)` comes back as `gru`, `flat`)."""
        count: dict[str, int] = {}
        for nd in self.nodes.values():
            count[nd["scope"]] = count.get(nd["scope"], 0) + 1
        ids: dict[str, str] = {}
        taken = set(self.nodes)
        for nid, nd in self.nodes.items():
            scope = nd["scope"]
            want = scope.replace(".", "_")
            if scope and count[scope] == 1 and not _has_blocks_below(scope, self.nodes) and want not in taken:
                taken.discard(nid)
                taken.add(want)
                ids[nid] = want
            else:
                ids[nid] = nid
        return ids


def _has_blocks_below(scope: str, nodes: dict) -> bool:
    return any(nd["scope"].startswith(scope + ".") for nd in nodes.values())


class _Skip(Exception):
    """This fx node cannot be mapped; the reason is already recorded."""


class _Unsupported(Exception):
    """A module setting no block parameter expresses."""


def _scope(n: fx.Node) -> str:
    stack = n.meta.get("nn_module_stack") or {}
    if n.op == "call_module":
        return n.target
    keys = [k for k in stack]
    return keys[-1].split("@")[0] if keys else ""


def _index_text(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            out.append(":" if p == slice(None) else f"{'' if p.start is None else p.start}:"
                       f"{'' if p.stop is None else p.stop}")
        else:
            out.append("…" if p is Ellipsis else repr(p))
    return ", ".join(out)


def _is_last_step(index, batch_first: bool) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    full = slice(None)
    parts = tuple(p for p in parts)
    while parts and parts[-1] in (full, Ellipsis):
        parts = parts[:-1]
    return parts == ((full, -1) if batch_first else (-1,))


class _Args:
    def __init__(self, args, kwargs):
        self.args, self.kwargs = list(args), dict(kwargs)

    def get(self, i, name, default):
        if name in self.kwargs:
            return self.kwargs[name]
        return self.args[i] if i < len(self.args) else default


# ---- module → block ------------------------------------------------------------------------------

def _one(v):
    """(5, 5) → 5; (5, 3) → [5, 3]; 5 → 5."""
    if isinstance(v, (tuple, list)):
        v = [int(x) if not isinstance(x, str) else x for x in v]
        return v[0] if len(set(v)) == 1 else v
    return v


def _need(m, **expected):
    for k, want in expected.items():
        have = getattr(m, k, want)
        if have != want and not (isinstance(want, float) and isinstance(have, float) and abs(have - want) < 1e-12):
            raise _Unsupported(f"{k}={have!r} has no setting in the block (Netwright's has {k}={want!r})")


def _conv(m, before, after):
    _need(m, padding_mode="zeros")
    p = {"out_channels": m.out_channels, "kernel_size": _one(m.kernel_size)}
    for k, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
        v = _one(getattr(m, k))
        if v != default:
            p[k] = v
    if m.groups != 1:
        p["groups"] = m.groups
    if m.bias is None:
        p["bias"] = False
    return type(m).__name__, p


def _conv_transposed(m, before, after):
    typ, p = _conv(m, before, after)
    extra = _one(m.output_padding)
    if extra != 0:
        p["output_padding"] = extra
    return typ, p


def _linear(m, before, after):
    return "Linear", {"out_features": m.out_features, **({} if m.bias is not None else {"bias": False})}


def _pool(m, before, after):
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)):
        _need(m, return_indices=False)
        if _one(m.dilation) != 1:
            raise _Unsupported(f"dilation={m.dilation!r} has no setting in the pooling block")
    else:
        _need(m, count_include_pad=True, divisor_override=None)
    p = {"kernel_size": _one(m.kernel_size)}
    stride = _one(m.stride)
    if stride is not None and stride != p["kernel_size"]:
        p["stride"] = stride
    if _one(m.padding) != 0:
        p["padding"] = _one(m.padding)
    if m.ceil_mode:
        p["ceil_mode"] = True
    return type(m).__name__, p


def _adaptive(m, before, after):
    if getattr(m, "return_indices", False):
        raise _Unsupported("return_indices=True has no setting in the block")
    size = _one(m.output_size)
    if size is None or isinstance(size, list) and None in size:
        raise _Unsupported("an output_size of None (keep that axis) has no setting in the block; give the sizes")
    return type(m).__name__, {"output_size": size}


def _flatten_module(m, before, after):
    if m.start_dim == 1 and m.end_dim == -1:
        return "Flatten", {}
    return None, None


def _dropout(m, before, after):
    return type(m).__name__, {"p": float(m.p)}


def _batchnorm(m, before, after):
    _need(m, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)
    return type(m).__name__, {}


def _layernorm(m, before, after):
    if tuple(m.normalized_shape) != (before[-1],):
        raise _Unsupported(f"normalized_shape={tuple(m.normalized_shape)} normalizes more than the last axis; "
                           "the LayerNorm block normalizes the last axis")
    _need(m, eps=1e-5, elementwise_affine=True)
    if m.elementwise_affine and m.bias is None:
        raise _Unsupported("bias=False has no setting in the LayerNorm block")
    return "LayerNorm", {}


def _embedding(m, before, after):
    _need(m, padding_idx=None, max_norm=None, scale_grad_by_freq=False, sparse=False)
    return "Embedding", {"num_embeddings": m.num_embeddings, "embedding_dim": m.embedding_dim}


def _plain(typ, **needed):
    """A block with no parameters, for a module whose settings other than `needed` have no block setting."""
    def mapper(m, before, after):
        _need(m, **needed)
        return typ, {}
    return mapper


def _leaky(m, before, after):
    return "LeakyReLU", ({} if m.negative_slope == 0.01 else {"negative_slope": float(m.negative_slope)})


def _softmax(m, before, after):
    if m.dim is None:
        raise _Unsupported("dim=None (an implicit axis) has no setting; give dim")
    return type(m).__name__, _dim_param(m.dim, len(before))


def _dim_param(dim: int, rank: int) -> dict:
    if dim % rank == 0:
        raise _Unsupported("acts along the batch axis; the block acts within each sample")
    d = dim if dim < 0 else dim - 1
    return {} if d == -1 else {"dim": d}


MODULES = {
    nn.Conv1d: _conv, nn.Conv2d: _conv, nn.Conv3d: _conv, nn.Linear: _linear,
    nn.ConvTranspose1d: _conv_transposed, nn.ConvTranspose2d: _conv_transposed,
    nn.MaxPool1d: _pool, nn.MaxPool2d: _pool, nn.MaxPool3d: _pool, nn.AvgPool1d: _pool, nn.AvgPool2d: _pool,
    nn.AvgPool3d: _pool, nn.AdaptiveAvgPool1d: _adaptive, nn.AdaptiveAvgPool2d: _adaptive,
    nn.AdaptiveAvgPool3d: _adaptive,
    nn.AdaptiveMaxPool1d: _adaptive, nn.AdaptiveMaxPool2d: _adaptive,
    nn.Flatten: _flatten_module, nn.Dropout: _dropout, nn.Dropout2d: _dropout,
    nn.BatchNorm1d: _batchnorm, nn.BatchNorm2d: _batchnorm, nn.BatchNorm3d: _batchnorm, nn.LayerNorm: _layernorm, nn.Embedding: _embedding,
    nn.ReLU: _plain("ReLU"), nn.Tanh: _plain("Tanh"), nn.Sigmoid: _plain("Sigmoid"), nn.GELU: _plain("GELU", approximate="none"),
    nn.ELU: _plain("ELU", alpha=1.0), nn.LeakyReLU: _leaky, nn.Softmax: _softmax, nn.LogSoftmax: _softmax,
}
WEIGHTED = {nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.Linear, nn.BatchNorm1d,
            nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.Embedding}


# ---- functions → blocks ----------------------------------------------------------------------------

def _f_plain(typ, **needed):
    """A block with no parameters, for a function whose first argument after the tensor, if it has one
    (`needed`: its name and the only value the block can stand for), keeps that value."""
    def mapper(a: _Args, shape):
        for name, value in needed.items():
            given = a.get(0, name, value)
            if given != value:
                raise _Unsupported(f"{name}={given!r} has no setting in the {typ} block (it always uses {value!r})")
        return typ, {}
    return mapper


def _f_leaky(a: _Args, shape):
    slope = a.get(0, "negative_slope", 0.01)
    return "LeakyReLU", ({} if slope == 0.01 else {"negative_slope": float(slope)})


def _f_softmax(typ):
    def mapper(a: _Args, shape):
        dim = a.get(0, "dim", None)
        if dim is None:
            raise _Unsupported("dim=None (an implicit axis) has no setting; give dim")
        return typ, _dim_param(dim, len(shape))
    return mapper


def _f_dropout(typ):
    def mapper(a: _Args, shape):
        return typ, {"p": float(a.get(0, "p", 0.5))}
    return mapper


def _f_pool(typ, is_max: bool):
    def mapper(a: _Args, shape):
        k = _one(a.get(0, "kernel_size", None))
        s = _one(a.get(1, "stride", None))
        p = {"kernel_size": k}
        if s not in (None, [], k):
            p["stride"] = s
        pad = _one(a.get(2, "padding", 0))
        if pad != 0:
            p["padding"] = pad
        if is_max:
            if _one(a.get(3, "dilation", 1)) != 1:
                raise _Unsupported("dilation has no setting in the pooling block")
            if a.get(4, "ceil_mode", False):
                p["ceil_mode"] = True
            if a.get(5, "return_indices", False):
                raise _Unsupported("return_indices=True has no setting in the block")
        else:
            if a.get(3, "ceil_mode", False):
                p["ceil_mode"] = True
            if not a.get(4, "count_include_pad", True) or a.get(5, "divisor_override", None) is not None:
                raise _Unsupported("count_include_pad=False or divisor_override has no setting in the block")
        return typ, p
    return mapper


def _f_adaptive(typ):
    def mapper(a: _Args, shape):
        size = _one(a.get(0, "output_size", None))
        if size is None or isinstance(size, list) and None in size:
            raise _Unsupported("an output_size of None has no setting in the block; give the sizes")
        return typ, {"output_size": size}
    return mapper


FUNCTIONS = {}
for _keys, _mapper in (
        ((F.relu, torch.relu, "relu", F.relu_, torch.relu_, "relu_"), _f_plain("ReLU")),
        ((torch.tanh, F.tanh, "tanh"), _f_plain("Tanh")),
        ((torch.sigmoid, F.sigmoid, "sigmoid"), _f_plain("Sigmoid")),
        ((F.gelu,), _f_plain("GELU", approximate="none")), ((F.elu,), _f_plain("ELU", alpha=1.0)), ((F.leaky_relu,), _f_leaky),
        ((F.softmax, torch.softmax, "softmax"), _f_softmax("Softmax")),
        ((F.log_softmax, torch.log_softmax, "log_softmax"), _f_softmax("LogSoftmax")),
        ((F.dropout,), _f_dropout("Dropout")), ((F.dropout2d,), _f_dropout("Dropout2d")),
        ((F.max_pool1d,), _f_pool("MaxPool1d", True)), ((F.max_pool2d,), _f_pool("MaxPool2d", True)),
        ((F.max_pool3d,), _f_pool("MaxPool3d", True)), ((F.avg_pool3d,), _f_pool("AvgPool3d", False)),
        ((F.avg_pool1d, torch.avg_pool1d), _f_pool("AvgPool1d", False)), ((F.avg_pool2d,), _f_pool("AvgPool2d", False)),
        ((F.adaptive_avg_pool1d, torch.adaptive_avg_pool1d), _f_adaptive("AdaptiveAvgPool1d")),
        ((F.adaptive_avg_pool2d,), _f_adaptive("AdaptiveAvgPool2d")),
        ((F.adaptive_avg_pool3d,), _f_adaptive("AdaptiveAvgPool3d")),
        ((F.adaptive_max_pool1d,), _f_adaptive("AdaptiveMaxPool1d")),
        ((F.adaptive_max_pool2d,), _f_adaptive("AdaptiveMaxPool2d"))):
    for _k in _keys:
        FUNCTIONS[_k] = _mapper

ADD_OPS = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__"}
CAT_OPS = {torch.cat, torch.concat, torch.concatenate}
PERMUTE_OPS = {torch.permute, "permute", torch.transpose, "transpose", "swapaxes"}
FLATTEN_OPS = {torch.flatten, "flatten"}
RESHAPE_OPS = FLATTEN_OPS | {torch.reshape, "reshape", "view", torch.squeeze, "squeeze", torch.unsqueeze, "unsqueeze"}
MEAN_OPS = {torch.mean, "mean"}


# ---- the entry points ------------------------------------------------------------------------------

def trace(module: nn.Module) -> fx.GraphModule:
    """torch.fx's graph of the module; data-dependent control flow and other untraceable code raise
    ImportProblem naming the module and the line."""
    import inspect
    tracer = fx.Tracer()
    sig = inspect.signature(module.forward)
    params = list(sig.parameters.values())
    concrete = {p.name: p.default for p in params[1:] if p.default is not inspect.Parameter.empty}
    try:
        graph = tracer.trace(module, concrete_args=concrete or None)
    except Exception as e:      # torch.fx.proxy.TraceError, or anything the forward does with a Proxy
        raise ImportProblem([_trace_problem(e, module)]) from None
    return fx.GraphModule(tracer.root, graph)


def _trace_problem(e: Exception, root: nn.Module) -> tuple[str, str, str]:
    paths = {id(m): p for p, m in root.named_modules(remove_duplicate=False)}
    tb, where, path = e.__traceback__, "", ""
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self")
        if isinstance(owner, nn.Module) and id(owner) in paths:
            path = paths[id(owner)]
            where = f"{frame.f_code.co_filename}, line {tb.tb_lineno}"
        tb = tb.tb_next
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    if "control flow" in text or "symbolically traced variables" in text:
        why = ("the forward branches or loops on the values of a tensor (data-dependent control flow), which "
               "tracing cannot follow; a network is a fixed graph of blocks")
    else:
        why = f"tracing it failed ({type(e).__name__}: {text})"
    owner = type(root.get_submodule(path)).__name__ if path else type(root).__name__
    return path, f"{owner}.forward" + (f" ({where})" if where else ""), why


def import_module(module: nn.Module, input_shape, input_dtype: str = "float32", name: str | None = None) -> Imported:
    """The network of a module, with the modules whose weights its blocks take. Raises ImportProblem."""
    from torch.fx.passes.shape_prop import ShapeProp
    if input_dtype not in ("float32", "int64"):
        raise ImportProblem([("", "the input", f"dtype {input_dtype!r}; use float32 or int64")])
    shape = tuple(int(s) for s in input_shape)
    if not shape or any(s < 1 for s in shape):
        raise ImportProblem([("", "the input", f"shape {list(shape)} needs one or more sizes of at least 1 "
                                               "(per sample, without the batch axis)")])
    gm = trace(module)
    was_training = module.training
    sample = (torch.zeros((BATCH, *shape), dtype=torch.int64) if input_dtype == "int64"
              else torch.randn((BATCH, *shape), generator=torch.Generator().manual_seed(0)))
    try:
        gm.eval()
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")          # torch's deprecation notes about the user's layers
            ShapeProp(gm).propagate(sample)
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ImportProblem([("", type(module).__name__, f"does not run on an input of shape {list(shape)} per "
                              f"sample ({type(e).__name__}: {first}); give the shape it expects with "
                              "--input-shape")]) from None
    finally:
        gm.train(was_training)
        module.train(was_training)
    builder = _Builder(gm, gm.graph)
    builder.run(shape, input_dtype)
    net = builder.network(name or type(module).__name__)
    results = infer_shapes(net)
    errors = [r.error for r in results.values() if r.error]
    if errors:
        raise ImportProblem([("", "the imported network", e) for e in errors])
    for nid, pos in layered_layout(net).items():
        net.nodes[nid].position = pos
    return Imported(net, builder.modules)     # (the GraphModule shares the traced module's submodules)


def from_module(module: nn.Module, input_shape, input_dtype: str = "float32", name: str | None = None) -> Network:
    """The network of a torch.nn.Module (spec §5). Raises ImportProblem naming what cannot be mapped."""
    return import_module(module, input_shape, input_dtype, name).network
