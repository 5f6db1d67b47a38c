"""The user's own data: `npz:PATH`, `csv:PATH`, `folder:PATH` and `text:PATH`.

- npz: arrays `x` (N, ...) and `y` (N,). uint8 images are scaled to [0, 1]; (N, H, W) meets an Input
  [1, H, W]. Integer `y` means classes 0..K-1; float `y` means regression, even when its values are
  whole numbers (as the spec says).
- csv: numeric columns, the last one the label (whole numbers 0 or more → classes, otherwise
  regression, e.g. when a label is negative or has a fraction); a header line is allowed. Input [F]
  with F = columns − 1.
- folder: one sub-folder of images per class (PNG, JPEG, BMP, GIF); images are converted to the
  Input's channels (1 grey, 3 RGB) and resized to its height and width.
- text: character-level language modelling. The vocabulary is the file's distinct characters; the
  text is cut into sequences of the Input's length T (Input [T], int64); the target at each step is
  the next character, so the output is [T, vocabulary].
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .base import CLASSIFICATION, REGRESSION, TEXT, DataError, Dataset, InputSpec, as_images

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


def _exists(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"The {what} {path} does not exist; check the path.")


def _targets(y: np.ndarray, source: str, guess: bool = False) -> tuple[np.ndarray, str, list[str] | None]:
    """Integer (or bool) y: classes; float y: regression. `guess` (csv, where every column is read as
    float): whole non-negative numbers below 10,000 in one column are class labels too."""
    if y.dtype.kind in "iub" or (guess and y.size and y.ndim == 1 and np.all(np.mod(y, 1) == 0)
                                 and y.min() >= 0 and y.max() < 10_000):
        y = y.astype(np.int64)
        if y.ndim != 1:
            raise DataError(f"{source}: class labels must be one number per sample, but y has shape {list(y.shape)}.")
        if y.size and y.min() < 0:
            raise DataError(f"{source}: class labels must be 0, 1, 2, …, but the smallest is {y.min()}.")
        k = int(y.max()) + 1 if y.size else 0
        return y, CLASSIFICATION, [str(i) for i in range(k)]
    y = y.astype(np.float32)
    return (y[:, None] if y.ndim == 1 else y), REGRESSION, None


def load_npz(path, inp: InputSpec) -> Dataset:
    path = Path(path)
    _exists(path, "file")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("x", "y") if k not in data.files]
            if missing:
                raise DataError(f"{path} has no array named {' or '.join(repr(m) for m in missing)} (it holds "
                                f"{', '.join(data.files) or 'nothing'}); save it with np.savez(path, x=..., y=...).")
            x, y = data["x"], data["y"]
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path} is not a readable .npz file ({e}).") from None
    if len(x) != len(y):
        raise DataError(f"{path.name}: x has {len(x):,} samples but y has {len(y):,}; they must match.")
    notes: list[str] = []
    y, task, classes = _targets(y, path.name)
    if inp.dtype == "int64":
        if not np.issubdtype(x.dtype, np.integer):
            raise DataError(f"{path.name} holds float values but Input '{inp.node_id}' takes token ids (int64); set its "
                            f"dtype to float32.")
        x = x.astype(np.int64)
    elif x.ndim == 4 or (x.ndim == 3 and len(inp.shape) == 3):
        x = as_images(x, path.name, inp, notes)
    else:
        x = (x.astype(np.float32) / 255.0) if x.dtype == np.uint8 else x.astype(np.float32)
    if tuple(x.shape[1:]) != tuple(inp.shape):
        raise DataError(f"{path.name} has samples of shape {list(x.shape[1:])} but Input '{inp.node_id}' has shape "
                        f"{inp.shape_text()}; set the Input's shape to {list(x.shape[1:])}.")
    kind = "image" if x.ndim == 4 else ("sequence" if x.ndim == 3 else "vector")
    return Dataset(path.name, np.ascontiguousarray(x), y, task, kind, classes, notes)


def load_csv(path, inp: InputSpec) -> Dataset:
    path = Path(path)
    _exists(path, "file")
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline()
        try:
            [float(v) for v in first.split(",")]
            skip = 0
        except ValueError:
            skip = 1
        table = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path} cannot be read ({e}).") from None
    except ValueError as e:
        raise DataError(f"{path} has a value that is not a number ({e}); every column must be numeric and the "
                        f"last one the label.") from None
    if table.shape[1] < 2 or len(table) == 0:
        raise DataError(f"{path.name} needs at least one row with two columns: features, then the label.")
    x, y = table[:, :-1].astype(np.float32), table[:, -1]
    if inp.dtype != "float32" or tuple(inp.shape) != (x.shape[1],):
        raise DataError(f"{path.name} has {x.shape[1]} feature columns (the last of its {table.shape[1]} is the label) "
                        f"but Input '{inp.node_id}' has shape {inp.shape_text()}; set it to [{x.shape[1]}], float32.")
    y, task, classes = _targets(y, path.name, guess=True)
    return Dataset(path.name, x, y, task, "vector", classes)


def load_folder(path, inp: InputSpec) -> Dataset:
    from PIL import Image, UnidentifiedImageError
    root = Path(path)
    _exists(root, "folder")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    if len(classes) < 2:
        raise DataError(f"The folder {root} needs one sub-folder of images per class (at least 2); it has "
                        f"{len(classes)}.")
    if len(inp.shape) != 3 or inp.shape[0] not in (1, 3) or inp.dtype != "float32":
        raise DataError(f"The folder {root} holds images but Input '{inp.node_id}' has shape {inp.shape_text()}; set "
                        f"it to [3, 64, 64] (colour) or [1, 64, 64] (grey), any size.")
    c, h, w = inp.shape
    xs, ys = [], []
    for k, name in enumerate(classes):
        for file in sorted((root / name).iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(file) as im:
                    im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
                    a = np.asarray(im, np.uint8)
            except (OSError, UnidentifiedImageError) as e:
                raise DataError(f"The image {file} cannot be read ({e}); remove or replace it.") from None
            xs.append(a[None] if c == 1 else a.transpose(2, 0, 1))
            ys.append(k)
    if not xs:
        raise DataError(f"The class folders in {root} hold no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    x = np.stack(xs).astype(np.float32) / 255.0
    notes = [f"Images from {root.name} are converted to {'grey' if c == 1 else 'RGB'} and resized to {h}×{w}."]
    return Dataset(root.name, x, np.array(ys, np.int64), CLASSIFICATION, "image", classes, notes)


def load_text(path, inp: InputSpec) -> Dataset:
    path = Path(path)
    _exists(path, "file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path} cannot be read as UTF-8 text ({e}).") from None
    return text_dataset(text, path.name, inp)


def text_dataset(text: str, name: str, inp: InputSpec) -> Dataset:
    """Character-level modelling of `text`: sequences of the Input's length and the same shifted by one."""
    if inp.dtype != "int64" or len(inp.shape) != 1:
        raise DataError(f"Text is read as character ids, but Input '{inp.node_id}' has shape {inp.shape_text()} "
                        f"({inp.dtype}); set its shape to [100] and its dtype to int64, and follow it with an "
                        f"Embedding.")
    t = inp.shape[0]
    codes = np.frombuffer(text.encode("utf-32-le"), np.uint32)
    vocab_codes = np.unique(codes)
    ids = np.searchsorted(vocab_codes, codes).astype(np.int64)
    n = (len(ids) - 1) // t
    if n < 2:
        raise DataError(f"{name} has {len(ids):,} characters, too few for two sequences of {t} (Input "
                        f"'{inp.node_id}'); use a longer text or a shorter Input.")
    x = ids[:n * t].reshape(n, t)
    y = ids[1:n * t + 1].reshape(n, t)
    vocab = [chr(c) for c in vocab_codes]
    return Dataset(name, x, y, TEXT, "text", vocab)
