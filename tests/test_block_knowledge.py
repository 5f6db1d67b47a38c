"""Block knowledge lives in the block's spec (engine/core/blocks) and nowhere else: no code outside the
catalog compares a block's type name (`node.type == "Input"`, `t in ("LSTM", "GRU")`, `t.endswith("1d")`);
it asks the spec's fields instead (source, spatial, vocabulary, size_param, output_is, gates, ...).
Naming a block type to build one (a quick fix's "Insert Flatten", the importer's "Linear") is fine."""
import ast
from pathlib import Path

from engine import BLOCKS

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "engine" / "core" / "blocks"
SUFFIXES = ("1d", "2d", "3d", "Pool", "Conv", "Norm", "Transpose")


def _names(node) -> list[str]:
    """The string constants of a comparison's operand: "x", or the items of ("x", "y") / ["x"] / {"x"}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [n.value for n in node.elts if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return []


def type_name_comparisons(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = (node.left, *node.comparators)
            if any("group" in ast.unparse(o).lower() for o in operands):
                continue          # a palette group ("Input" is a group as well as a type): GROUPS' vocabulary
            for operand in operands:
                found += [(node.lineno, name) for name in _names(operand) if name in BLOCKS]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("endswith", "startswith")):
            for arg in node.args:
                found += [(node.lineno, f"{node.func.attr}({name!r})") for name in _names(arg)
                          if name in SUFFIXES or any(t.startswith(name) or t.endswith(name) for t in BLOCKS
                                                     if len(name) >= 2 and name[0].isupper())]
    return found


def test_no_code_outside_the_catalog_compares_a_block_type_name():
    offenders = []
    for path in sorted(ROOT.glob("**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in ("engine", "app", "widgets") or CATALOG in path.parents:
            continue
        offenders += [f"{rel}:{line}: {what}" for line, what in type_name_comparisons(path.read_text("utf-8"))]
    assert offenders == [], "compare the spec's fields, not type names:\n" + "\n".join(offenders)


def test_the_check_itself_finds_each_kind_of_comparison():
    source = ('a = node.type == "Input"\nz = spec.group == "Input"\nb = t in ("LSTM", "GRU")\nc = t.endswith("1d")\n'
              'd = "Softmax" != x\ne = name == "kernel_size"\nf = g.startswith("Conv")\n')
    assert [what for _, what in type_name_comparisons(source)] == [
        "Input", "LSTM", "GRU", "endswith('1d')", "Softmax", "startswith('Conv')"]
