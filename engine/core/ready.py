"""Whether a network can be built, trained or exported: no block has an error, and it has an output.
One sentence for every place that refuses such a network (building the model, training, export)."""
from __future__ import annotations

NO_OUTPUT = "The network has no output block: connect at least one block after the Input."


def not_ready(net, results: dict, purpose: str) -> str | None:
    """Why `net` cannot be `purpose` ("built", "trained", "exported"), or None. `results` are its shape
    results; the errors listed are the blocks' own (not those only blocked by an error upstream)."""
    errors = [r.error for r in results.values() if r.error and not r.blocked] or \
             [r.error for r in results.values() if r.error]
    if errors:
        return f"The network has errors, so it cannot be {purpose}:\n- " + "\n- ".join(errors)
    if net.output_node() is None:
        return NO_OUTPUT
    return None
