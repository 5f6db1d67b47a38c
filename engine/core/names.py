"""Python names made from node ids: the attribute a block gets on the built model (engine/runtime/build.py)
and in the exported `class Net` (engine/core/codegen.py). One function, so a checkpoint of the app's model
loads into the exported file. Pure Python: no torch."""
from __future__ import annotations

import keyword
import re
import unicodedata

MAX_NAME = 60     # characters of an id kept in its attribute name (a suffix keeps names unique)

# Names a block attribute must not take: nn.Module's public ones (training, forward, ...) and the built
# model's own. Names starting with "_" are never used. tests/test_export_safety.py checks this list against
# dir(nn.Module()) and the model class of the installed torch.
RESERVED = frozenset((
    "T_destination", "add_module", "apply", "attr", "bfloat16", "block", "buffers", "call_super_init", "children",
    "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "input_dtypes", "input_ids", "input_shapes", "ipu",
    "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules", "named_parameters",
    "output_id", "output_shape", "parameters", "plan", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook",
    "requires_grad_", "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
    "training", "type", "xpu", "zero_grad"))


def attribute_name(node_id: str, taken: set[str]) -> str:
    """A Python attribute name for a node id: 'conv1' stays 'conv1'; 'conv-1' becomes 'conv_1'.

    The name is already in Python's own normal form (NFKC), so the identifier an exported file spells
    is the attribute it sets: 'ﬁ' becomes 'fi' (then 'fi_2' if 'fi' is taken), 'a²' becomes 'a2'."""
    name = identifier(identifier(node_id)[:MAX_NAME])
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED or name.startswith("_"):
        name = identifier((name.lstrip("_") or "n") + "_block")
    base, i = name, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def identifier(text: str) -> str:
    """`text` as a valid identifier that is its own NFKC form: characters Python refuses become '_', and
    a name that cannot start an identifier (a digit) gets 'n_' in front."""
    name = unicodedata.normalize("NFKC", text)
    for _ in range(3):      # replacing a character can make a neighbour normalise differently
        name = "".join(c if ("_" + c).isidentifier() else "_" for c in name)
        if not name[:1].isidentifier():
            name = "n_" + name
        if unicodedata.normalize("NFKC", name) == name:
            return name
        name = unicodedata.normalize("NFKC", name)
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
