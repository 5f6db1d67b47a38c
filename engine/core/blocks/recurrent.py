"""Recurrent blocks: RNN, LSTM and GRU (batch_first, [T, F] per sample)."""
from __future__ import annotations

from .spec import BOOL, CHOICE, FLOAT, INT, BlockOut, BlockSpec, Fix, Module, Param, ShapeError, Tensor, fmt_shape

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent_params(kind: str) -> tuple[Param, ...]:
    ps = [Param("hidden_size", INT, help="Units in each layer's hidden state.", min=1, max=1 << 16,
                starter=64),
          Param("num_layers", INT, 1, "Stacked layers, each reading the one below.", min=1, max=64)]
    if kind == "RNN":
        ps.append(Param("nonlinearity", CHOICE, "tanh", "Activation of the hidden state.", choices=("tanh", "relu")))
    ps += [Param("bidirectional", BOOL, False, "Also read the sequence backwards (doubles the output)."),
           Param("dropout", FLOAT, 0.0, "Dropout between stacked layers.", 0.0, 1.0),
           Param("bias", BOOL, True, "Learn offsets in every gate."),
           Param("return_sequences", BOOL, True, "Output every time step ([T, H]) or only the last ([H]).")]
    return tuple(ps)


def count_params(kind: str, f: int, h: int, layers: int, dirs: int, bias: bool) -> tuple[int, list[str]]:
    g = GATES[kind]
    total, lines = 0, []
    for layer in range(layers):
        inp = f if layer == 0 else h * dirs
        per = g * h * (inp + h) + (2 * g * h if bias else 0)
        total += per * dirs
        lines.append(f"layer {layer + 1}: {dirs}·({g}·{h}·({inp} + {h})" + (f" + 2·{g}·{h}" if bias else "")
                     + f") = {per * dirs:,}")
    return total, lines


def make_recurrent(kind: str) -> BlockSpec:
    def infer(node_id, ins, p):
        x = ins[0]
        if len(x.shape) != 2:
            fixes = []
            if len(x.shape) == 3:
                c, hh, w = x.shape
                msg = (f"{kind} '{node_id}' reads a sequence [T, F] (time steps × features), but gets a feature map "
                       f"{fmt_shape(x.shape)}. To read it column by column, insert Permute [2, 0, 1] "
                       f"(→ {w} × {c} × {hh}) and then Reshape to [{w}, {c * hh}]; or Reshape to [{c}, {hh * w}].")
                fixes = [Fix(f"Insert Reshape to [{w}, {c * hh}]", "insert_before", "Reshape",
                             {"shape": [w, c * hh]}),
                         Fix("Insert Permute [2, 0, 1]", "insert_before", "Permute", {"dims": [2, 0, 1]})]
            elif len(x.shape) == 1:
                n = x.shape[0]
                msg = (f"{kind} '{node_id}' reads a sequence [T, F] (time steps × features), but gets a vector "
                       f"of {n}; Reshape it to [{n}, 1] to read one value per time step.")
                fixes = [Fix(f"Insert Reshape to [{n}, 1]", "insert_before", "Reshape", {"shape": [n, 1]})]
            else:
                msg = (f"{kind} '{node_id}' reads a sequence [T, F], but gets {fmt_shape(x.shape)} "
                       f"({len(x.shape)} axes); Reshape it to two axes first.")
            raise ShapeError(msg, fixes)
        t, f = x.shape
        h, layers = p["hidden_size"], p["num_layers"]
        dirs = 2 if p["bidirectional"] else 1
        warnings, fixes = [], []
        if x.layout == "signal":
            warnings.append(f"{kind} '{node_id}' reads [T, F] (time first) but gets a Conv1d-style [C, L] signal "
                            f"{fmt_shape(x.shape)}: it will see {t} time steps of {f} features. Insert Permute "
                            "[1, 0] first if the channels are the features.")
            fixes.append(Fix("Insert Permute [1, 0]", "insert_before", "Permute", {"dims": [1, 0]}))
        if p["dropout"] > 0 and layers == 1:
            warnings.append(f"{kind} '{node_id}': dropout {p['dropout']} acts only between stacked layers, and "
                            "there is one layer, so it does nothing; raise num_layers or add a Dropout block.")
        params, lines = count_params(kind, f, h, layers, dirs, p["bias"])
        shape = (t, h * dirs) if p["return_sequences"] else (h * dirs,)
        g = GATES[kind]
        macs = sum(t * dirs * g * h * ((f if i == 0 else h * dirs) + h) for i in range(layers))
        formula = [f"out = {fmt_shape(shape)}  (T = {t}, H·D = {h}·{dirs})" if p["return_sequences"]
                   else f"out = {h * dirs} (last time step, H·D = {h}·{dirs})"] + lines
        if layers > 1:
            formula.append(f"params = {params:,}")
        return BlockOut(Tensor(shape, layout="sequence" if p["return_sequences"] else "vector"),
                        params=params, macs=macs, formula=formula, warnings=warnings, fixes=fixes)

    def module(ins, p) -> Module:
        kwargs = {"num_layers": p["num_layers"], "bidirectional": p["bidirectional"],
                  "dropout": p["dropout"] if p["num_layers"] > 1 else 0.0, "bias": p["bias"],
                  "return_sequences": p["return_sequences"], "nonlinearity": p.get("nonlinearity", "tanh")}
        return Module("Recurrent", (kind, ins[0].shape[-1], p["hidden_size"]), kwargs,
                    {"num_layers": 1, "bidirectional": False, "dropout": 0.0, "bias": True,
                     "return_sequences": True, "nonlinearity": "tanh"})

    helps = {"RNN": "A plain recurrent layer: simple, but forgets quickly over long sequences.",
             "LSTM": "Long short-term memory: gates decide what to keep, so it remembers across long sequences.",
             "GRU": "Gated recurrent unit: a lighter LSTM with two gates."}
    return BlockSpec(kind, kind, "Recurrent", helps[kind],
                     "[T, F] → [T, H·D], or [H·D] without return_sequences (D = 2 if bidirectional)",
                     recurrent_params(kind), infer, module, learnable=True)


SPECS = [make_recurrent(k) for k in ("RNN", "LSTM", "GRU")]
