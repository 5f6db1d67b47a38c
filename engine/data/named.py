"""Named data sets that need no download, so that every example brings one:

- `waves`: 1-D signals [C, L] of four kinds (sine, square, triangle, sawtooth) at a random frequency,
  phase and amplitude with noise: a four-class signal classification, as a sensor task would be.
- `shakespeare`: the Tiny Shakespeare text for character models, read from the data folder given
  (`--data-dir`), from $NETWRIGHT_DATA_DIR, from the shared data folder beside the project or from the
  user cache, whichever holds `tinyshakespeare.txt` first; without it, a short built-in text of
  Shakespeare's sonnets with the same 65 characters, so a network made for the real text fits it.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import CLASSIFICATION, DataError, Dataset, InputSpec, need_float_input

WAVES = ["sine", "square", "triangle", "sawtooth"]
DEFAULT_SAMPLES = 3000
SHAKESPEARE_FILE = "tinyshakespeare.txt"
SHAKESPEARE_CHARACTERS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"      # its 65
SONNETS = """Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date;
Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance or nature's changing course untrimm'd;
But thy eternal summer shall not fade,
Nor lose possession of that fair thou ow'st;
Nor shall death brag thou wander'st in his shade,
When in eternal lines to time thou grow'st:
So long as men can breathe or eyes can see,
So long lives this, and this gives life to thee.

When, in disgrace with fortune and men's eyes,
I all alone beweep my outcast state,
And trouble deaf heaven with my bootless cries,
And look upon myself and curse my fate,
Wishing me like to one more rich in hope,
Featured like him, like him with friends possess'd,
Desiring this man's art and that man's scope,
With what I most enjoy contented least;
Yet in these thoughts myself almost despising,
Haply I think on thee, and then my state,
Like to the lark at break of day arising
From sullen earth, sings hymns at heaven's gate;
For thy sweet love remember'd such wealth brings
That then I scorn to change my state with kings.

Let me not to the marriage of true minds
Admit impediments. Love is not love
Which alters when it alteration finds,
Or bends with the remover to remove:
O no! it is an ever-fixed mark
That looks on tempests and is never shaken;
It is the star to every wandering bark,
Whose worth's unknown, although his height be taken.
Love's not Time's fool, though rosy lips and cheeks
Within his bending sickle's compass come:
Love alters not with his brief hours and weeks,
But bears it out even to the edge of doom.
If this be error and upon me proved,
I never writ, nor no man ever loved.

My mistress' eyes are nothing like the sun;
Coral is far more red than her lips' red;
If snow be white, why then her breasts are dun;
If hairs be wires, black wires grow on her head.
I have seen roses damask'd, red and white,
But no such roses see I in her cheeks;
And in some perfumes is there more delight
Than in the breath that from my mistress reeks.
I love to hear her speak, yet well I know
That music hath a far more pleasing sound;
I grant I never saw a goddess go;
My mistress, when she walks, treads on the ground:
And yet, by heaven, I think my love as rare
As any she belied with false compare.
"""


def make_waves(inp: InputSpec, n: int = DEFAULT_SAMPLES, seed: int = 0) -> Dataset:
    need_float_input(inp, "The 'waves' data set")
    if len(inp.shape) != 2 or inp.shape[1] < 8:
        raise DataError(f"The 'waves' data set makes signals [C, L] (channels × length, at least 8 long), but Input "
                        f"'{inp.node_id}' has shape {inp.shape_text()}; set it to e.g. [1, 128].")
    c, length = inp.shape
    rng = np.random.default_rng(seed)
    kind = np.arange(n) % len(WAVES)
    rng.shuffle(kind)
    cycles = rng.uniform(2.0, 6.0, (n, 1, 1))
    phase = rng.uniform(0.0, 1.0, (n, 1, 1))
    amp = rng.uniform(0.5, 1.0, (n, c, 1))
    u = (np.arange(length)[None, None, :] / length * cycles + phase) % 1.0       # position in the cycle, 0..1
    shapes = np.stack([np.sin(2 * np.pi * u), np.where(u < 0.5, 1.0, -1.0), 4 * np.abs(u - 0.5) - 1, 2 * u - 1])
    x = amp * shapes[kind, np.arange(n)] + rng.normal(0.0, 0.15, (n, c, length))
    return Dataset("waves", x.astype(np.float32), kind.astype(np.int64), CLASSIFICATION, "sequence", list(WAVES))


def shakespeare_file(data_dir=None) -> Path | None:
    """Where the Tiny Shakespeare text is on this machine, or None."""
    from .download import cache_dir
    folders = [data_dir, os.environ.get("NETWRIGHT_DATA_DIR"), Path(__file__).resolve().parents[3] / "shared" / "data",
               cache_dir() / "shakespeare"]
    for folder in folders:
        if folder and (Path(folder) / SHAKESPEARE_FILE).is_file():
            return Path(folder) / SHAKESPEARE_FILE
    return None


def stand_in_text() -> str:
    """The sonnets, closed by a line with the Tiny Shakespeare characters they lack (so the vocabulary,
    65 characters in the same order, matches the real text's)."""
    missing = "".join(ch for ch in SHAKESPEARE_CHARACTERS if ch not in SONNETS)
    return SONNETS + missing + "\n"


def load_shakespeare(inp: InputSpec, data_dir=None) -> Dataset:
    from .files import load_text, text_dataset
    path = shakespeare_file(data_dir)
    if path is not None:
        ds = load_text(path, inp)
        ds.name = "shakespeare"
        return ds
    ds = text_dataset(stand_in_text() * 4, "shakespeare", inp)
    ds.notes.append(f"{SHAKESPEARE_FILE} is not on this machine, so a short built-in text (four sonnets) stands in; "
                    f"put the file in a data folder for the 1.1 MB of plays.")
    return ds
