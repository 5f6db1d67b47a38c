"""PyTorch is the oracle: for random networks of random blocks and parameters, every node's shape and
parameter count from the engine equal what plain torch.nn layers (built here, not by engine.runtime.build)
compute on a small batch; where PyTorch raises, the engine reports an error at that node. For valid
networks, the model engine.build_model makes and the exported file agree with them too.

The generator draws each block with hypothesis, looking at the real tensor PyTorch produced so far
(never at the engine), so most networks are valid and deep, and some are broken on purpose.
"""
import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import engine
from engine.core.codegen import export_code

BATCH = 2
ACTIVATIONS = ["ReLU", "Tanh", "Sigmoid", "GELU", "ELU", "LeakyReLU"]
RECURRENT = ["RNN", "LSTM", "GRU"]
INT_OK = {"Embedding", "Flatten", "Reshape", "Permute", "Add", "Concat"}   # blocks that take int64 token ids
# The batched rank each layer needs (PyTorch would also accept some unbatched inputs, reading the batch
# axis as channels; the engine works per sample, so those count as rejected).
BATCHED_RANK = {"Conv1d": 3, "Conv2d": 4, "Conv3d": 5, "ConvTranspose1d": 3, "ConvTranspose2d": 4, "BatchNorm2d": 4,
                "BatchNorm3d": 5, **{k: 3 for k in RECURRENT},
                **{f"{a}Pool{n}d": n + 2 for a in ("Max", "Avg", "AdaptiveAvg", "AdaptiveMax") for n in (1, 2)},
                "MaxPool3d": 5, "AvgPool3d": 5, "AdaptiveAvgPool3d": 5}
CONVS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d")


def tup(v):
    return tuple(v) if isinstance(v, list) else v


def reference(kind: str, p: dict, xs: list[torch.Tensor]):
    """(output, trainable parameter count) of the block in plain PyTorch; raises where PyTorch (or the
    per-sample contract above) rejects it."""
    x = xs[0]
    if kind not in INT_OK and any(not t.is_floating_point() for t in xs):
        raise TypeError("token ids reach a float-only block")
    if kind in BATCHED_RANK and x.dim() != BATCHED_RANK[kind]:
        raise ValueError("wrong rank")
    if kind in ("Softmax", "LogSoftmax", "Concat") and p.get("dim", -1 if "Softmax" in kind else 0) < 1 - x.dim():
        raise ValueError("a negative dim that reaches the batch axis")
    if kind == "Add":
        if len({t.dim() for t in xs}) > 1:
            raise ValueError("ranks differ")
        out = xs[0]
        for t in xs[1:]:
            out = out + t
        return out, 0
    if kind == "Concat":
        d = p.get("dim", 0)
        return torch.cat(xs, dim=d + 1 if d >= 0 else d), 0
    if kind == "Reshape":
        return x.reshape(x.shape[0], *p["shape"]), 0
    if kind == "Permute":
        return x.permute(0, *[d + 1 if d >= 0 else d for d in p["dims"]]), 0
    kw = {k: tup(v) for k, v in p.items()}
    if kind in CONVS:
        layer = getattr(nn, kind)(x.shape[1], **kw)
    elif kind == "Linear":
        layer = nn.Linear(x.shape[-1], **kw)
    elif kind in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"):
        layer = getattr(nn, kind)(x.shape[1])
    elif kind == "LayerNorm":
        layer = nn.LayerNorm(x.shape[-1])
    elif kind in ("Softmax", "LogSoftmax"):
        d = p.get("dim", -1)
        layer = getattr(nn, kind)(dim=d + 1 if d >= 0 else d)
    elif kind in RECURRENT:
        last_only = not kw.pop("return_sequences", True)
        rnn = getattr(nn, kind)(x.shape[-1], batch_first=True, **kw)
        out, _ = rnn(x)
        return (out[:, -1] if last_only else out), sum(q.numel() for q in rnn.parameters())
    else:   # pools, adaptive pools, activations, dropout, flatten, embedding: the params are torch's own
        layer = getattr(nn, kind)(**kw)
    layer.eval()
    y = layer(x)
    if y.numel() == 0:       # a transposed convolution whose padding cuts the whole output away: the spec
        raise ValueError("an output size below 1")     # calls an output size below 1 an error
    return y, sum(q.numel() for q in layer.parameters() if q.requires_grad)


class Draft:
    """A network being drawn, with PyTorch's value at every node (None where PyTorch rejected a block
    or an input was rejected upstream)."""

    def __init__(self, data):
        self.data = data
        self.nodes, self.edges = [], []
        self.values: dict[str, torch.Tensor | None] = {}
        self.expect: dict[str, tuple | str] = {}     # id -> (shape, params) | "rejected" | "unknown"

    def draw(self, strategy):
        return self.data.draw(strategy)

    def add(self, kind: str, params: dict, sources: list[str]) -> str:
        nid = f"n{len(self.nodes)}"
        self.nodes.append({"id": nid, "type": kind, "params": params})
        self.edges += [{"source": s, "target": nid} for s in sources]
        ins = [self.values[s] for s in sources]
        if any(v is None for v in ins):
            self.values[nid], self.expect[nid] = None, "unknown"
            return nid
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with torch.no_grad():
                    y, count = reference(kind, params, ins)
        except Exception:        # PyTorch refuses: the engine must report an error here
            self.values[nid], self.expect[nid] = None, "rejected"
            return nid
        self.values[nid], self.expect[nid] = y, (tuple(y.shape[1:]), count)
        return nid

    def network(self):
        return engine.network_from_dict({"format": "netwright.network", "version": 1, "name": "drawn",
                                         "nodes": self.nodes, "edges": self.edges})


# ---- drawing blocks from the tensor PyTorch produced so far -------------------------------------

def maybe(d: Draft, params: dict, name: str, strategy):
    if d.draw(st.booleans()):
        params[name] = d.draw(strategy)


def int_or_pair(d, lo, hi, nd):
    s = st.integers(lo, hi)
    return s if nd == 1 else st.one_of(s, st.lists(s, min_size=nd, max_size=nd))


def conv_params(d: Draft, x, nd: int) -> dict:
    c = x.shape[1] if x.dim() > 1 else 1
    groups = d.draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0] + [2]))
    p = {"out_channels": groups * d.draw(st.integers(1, 3)), "kernel_size": d.draw(int_or_pair(d, 1, 5, nd))}
    if groups != 1:
        p["groups"] = groups
    maybe(d, p, "stride", int_or_pair(d, 1, 3, nd))
    maybe(d, p, "padding", st.one_of(int_or_pair(d, 0, 2, nd), st.sampled_from(["same", "valid"])))
    maybe(d, p, "dilation", int_or_pair(d, 1, 2, nd))
    maybe(d, p, "bias", st.booleans())
    return p


def transposed_params(d: Draft, x, nd: int) -> dict:
    """A transposed convolution's parameters; output_padding reaches the stride now and then (PyTorch refuses)."""
    c = x.shape[1] if x.dim() > 1 else 1
    groups = d.draw(st.sampled_from([g for g in (1, 2) if c % g == 0]))
    p = {"out_channels": groups * d.draw(st.integers(1, 3)), "kernel_size": d.draw(int_or_pair(d, 1, 4, nd))}
    if groups != 1:
        p["groups"] = groups
    maybe(d, p, "stride", int_or_pair(d, 1, 3, nd))
    maybe(d, p, "padding", int_or_pair(d, 0, 3, nd))
    maybe(d, p, "output_padding", int_or_pair(d, 0, 2, nd))
    maybe(d, p, "dilation", int_or_pair(d, 1, 2, nd))
    maybe(d, p, "bias", st.booleans())
    return p


def pool_params(d: Draft, nd: int) -> dict:
    p = {"kernel_size": d.draw(int_or_pair(d, 1, 4, nd))}
    maybe(d, p, "stride", int_or_pair(d, 1, 3, nd))
    maybe(d, p, "padding", int_or_pair(d, 0, 2, nd))
    maybe(d, p, "ceil_mode", st.booleans())
    return p


def factor_shape(d: Draft, n: int) -> list[int]:
    """A random shape with n values (1-3 axes), sometimes with a -1, sometimes wrong on purpose."""
    sizes = []
    for _ in range(d.draw(st.integers(0, 2))):
        divisors = [k for k in range(1, n + 1) if n % k == 0]
        k = d.draw(st.sampled_from(divisors))
        sizes.append(k)
        n //= k
    sizes.append(n)
    sizes = d.draw(st.permutations(sizes))
    if d.draw(st.integers(0, 3)) == 0:
        sizes[d.draw(st.integers(0, len(sizes) - 1))] = -1
    if d.draw(st.integers(0, 9)) == 0:
        sizes[0] = sizes[0] + 1 if sizes[0] != -1 else 0
    return list(sizes)


def block_for(d: Draft, x: torch.Tensor) -> tuple[str, dict]:
    """A block type and parameters that suit x (per-sample rank r) most of the time."""
    r = x.dim() - 1
    if not x.is_floating_point():
        kinds = ["Embedding", "Embedding", "Flatten", "Reshape", "Permute"]
    else:
        kinds = ACTIVATIONS[:2] + ["Linear", "Dropout", "Softmax", "LogSoftmax", "Reshape", "Permute", "Flatten",
                                   "LayerNorm"]
        kinds += {1: ["Linear", "BatchNorm1d"],
                  2: ["Conv1d", "Conv1d", "MaxPool1d", "AvgPool1d", "AdaptiveAvgPool1d", "AdaptiveMaxPool1d",
                      "BatchNorm1d", *RECURRENT, *RECURRENT],
                  3: ["Conv2d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
                      "BatchNorm2d", "Dropout2d", "ConvTranspose2d", "ConvTranspose2d"],
                  4: ["Conv3d", "Conv3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d", "BatchNorm3d"]}.get(r, [])
        if r == 2:
            kinds += ["ConvTranspose1d", "ConvTranspose1d"]
    if d.draw(st.integers(0, 14)) == 0:        # now and then any block at all, to exercise the errors
        kinds = sorted(set(engine.BLOCKS) - {"Input", "Add", "Concat"})
    kind = d.draw(st.sampled_from(kinds))
    nd = engine.BLOCKS[kind].spatial or 2
    if kind in ("Conv1d", "Conv2d", "Conv3d"):
        return kind, conv_params(d, x, nd)
    if kind.startswith("ConvTranspose"):
        return kind, transposed_params(d, x, nd)
    if kind in ("MaxPool1d", "AvgPool1d", "MaxPool2d", "AvgPool2d", "MaxPool3d", "AvgPool3d"):
        return kind, pool_params(d, nd)
    if kind.startswith("Adaptive"):
        return kind, {"output_size": d.draw(int_or_pair(d, 1, 5, nd))}
    if kind == "Linear":
        p = {"out_features": d.draw(st.integers(1, 8))}
        maybe(d, p, "bias", st.booleans())
        return kind, p
    if kind in ("Dropout", "Dropout2d"):
        return kind, ({"p": d.draw(st.sampled_from([0.0, 0.25, 0.5]))} if d.draw(st.booleans()) else {})
    if kind == "LeakyReLU":
        return kind, {"negative_slope": 0.2}
    if kind in ("Softmax", "LogSoftmax"):
        return kind, ({"dim": d.draw(st.integers(-r - 1, r))} if d.draw(st.booleans()) else {})
    if kind in RECURRENT:
        p = {"hidden_size": d.draw(st.integers(1, 6))}
        for name, s in [("num_layers", st.integers(1, 2)), ("bidirectional", st.booleans()),
                        ("dropout", st.sampled_from([0.0, 0.2])), ("bias", st.booleans()),
                        ("return_sequences", st.booleans())]:
            maybe(d, p, name, s)
        if kind == "RNN":
            maybe(d, p, "nonlinearity", st.sampled_from(["tanh", "relu"]))
        return kind, p
    if kind == "Embedding":
        return kind, {"num_embeddings": d.draw(st.integers(4, 10)), "embedding_dim": d.draw(st.integers(1, 6))}
    if kind == "Reshape":
        return kind, {"shape": factor_shape(d, x[0].numel())}
    if kind == "Permute":
        dims = d.draw(st.permutations(list(range(r))))
        dims = [i - r if d.draw(st.booleans()) else i for i in dims]
        if d.draw(st.integers(0, 9)) == 0:
            dims = dims[:-1] or [1]
        return kind, {"dims": dims}
    return kind, {}


INPUTS = {
    "image": lambda d: [d.draw(st.integers(1, 4)), d.draw(st.integers(3, 16)), d.draw(st.integers(3, 16))],
    "signal": lambda d: [d.draw(st.integers(1, 4)), d.draw(st.integers(3, 32))],
    "sequence": lambda d: [d.draw(st.integers(1, 8)), d.draw(st.integers(1, 8))],
    "tokens": lambda d: [d.draw(st.integers(1, 10))],
    "vector": lambda d: [d.draw(st.integers(1, 16))],
    "volume": lambda d: [d.draw(st.integers(1, 3)), d.draw(st.integers(2, 8)), d.draw(st.integers(3, 10)),
                         d.draw(st.integers(3, 10))],
}


def draw_network(d: Draft) -> None:
    family = d.draw(st.sampled_from(sorted(INPUTS)))
    shape = INPUTS[family](d)
    params = {"shape": shape}
    if family == "tokens":
        params["dtype"] = "int64"
        d.values["input"] = torch.zeros(BATCH, *shape, dtype=torch.int64)   # id 0: valid for any Embedding, even summed
    else:
        d.values["input"] = torch.randn(BATCH, *shape)
    d.nodes.append({"id": "input", "type": "Input", "params": params})
    d.expect["input"] = (tuple(shape), 0)
    cur = "input"
    for _ in range(d.draw(st.integers(2, 7))):
        x = d.values[cur]
        if x is None:
            break
        choice = d.draw(st.integers(0, 9))
        if choice == 0 and len(d.nodes) > 1:         # merge with an earlier node
            other = d.draw(st.sampled_from([n["id"] for n in d.nodes if n["id"] != cur]))
            kind = d.draw(st.sampled_from(["Add", "Concat"]))
            p = {"dim": d.draw(st.integers(-1, max(0, x.dim() - 2)))} if kind == "Concat" else {}
            cur = d.add(kind, p, d.draw(st.permutations([cur, other])))
        elif choice == 1 and x.is_floating_point():  # a residual branch that keeps the shape
            if x.dim() == 4:
                branch = d.add("Conv2d", {"out_channels": x.shape[1], "kernel_size": 3, "padding": 1}, [cur])
            else:
                branch = d.add("Linear", {"out_features": x.shape[-1]}, [cur])
            branch = d.add(d.draw(st.sampled_from(ACTIVATIONS)), {}, [branch])
            cur = d.add("Add", {}, [branch, cur])
        else:
            kind, p = block_for(d, x)
            cur = d.add(kind, p, [cur])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_engine_shapes_and_parameter_counts_equal_pytorchs(data):
    d = Draft(data)
    draw_network(d)
    net = d.network()
    results = engine.infer_shapes(net)
    for nid, expected in d.expect.items():
        r = results[nid]
        node = next(n for n in d.nodes if n["id"] == nid)
        where = f"{node['type']} {nid} {node['params']}: {r.error}"
        if expected == "rejected":
            assert r.error is not None, f"PyTorch rejects {where}, but the engine gives {r.shape}"
        elif expected != "unknown":
            assert r.error is None, f"PyTorch accepts {where}"
            assert (r.shape, r.params) == expected, where
    valid = all(r.ok for r in results.values())
    assert valid == all(e not in ("rejected", "unknown") for e in d.expect.values())
    if valid:
        model = engine.build_model(net).eval()
        out = net.output_node()
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = model(d.values["input"])
        assert tuple(y.shape) == (BATCH, *results[out].shape)
        assert torch.allclose(y.float(), d.values[out].float(), atol=1e-5) or _has_random_layers(net)
        # The exported file builds the same model: the app's weights load into it and give the same output.
        namespace = {"__name__": "exported"}
        exec(compile(export_code(net), "<exported>", "exec"), namespace)
        exported = namespace["Net"]().eval()
        exported.load_state_dict(model.state_dict())
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert torch.equal(exported(d.values["input"]), y)
    else:
        with pytest.raises(ValueError, match="The network has errors"):
            engine.build_model(net)


def _has_random_layers(net) -> bool:
    """Weights differ between the reference and the built model (both random); only shapes compare then."""
    return any(n.spec.learnable for n in net.nodes.values())
