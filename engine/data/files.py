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

import io
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .base import (CLASSIFICATION, MAX_CLASSES, REGRESSION, TEXT, DataError, Dataset, InputSpec, as_images,
                   dtype_text, finite_problem)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
SUFFIX_KINDS = {".npz": "npz", ".csv": "csv", ".txt": "text"}


def _exists(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(f"The {what} {path} does not exist; check the path.")


def _file(path: Path, kind: str) -> None:
    """`path` is a regular file `kind:` can read, or a DataError says what it is instead."""
    _exists(path, "file")
    if path.is_dir():
        raise DataError(f"{path} is a folder, but {kind}: reads a file; for one sub-folder of images per class "
                        f"use folder:{path}.")
    if not path.is_file():
        raise DataError(f"{path} is not a regular file (a device, a pipe or a socket); {kind}: reads a file.")


def _hint(path: Path) -> str:
    kind = SUFFIX_KINDS.get(path.suffix.lower())
    return f" (for this file, try {kind}:{path})" if kind else ""


def _read_text(path: Path, kind: str) -> str:
    """The file as UTF-8 text; an unreadable, binary or non-UTF-8 file is a DataError saying which."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path} cannot be read ({e.strerror or e}).") from None
    if b"\x00" in data[:1 << 16]:
        raise DataError(f"{path} is a binary file, not text (it holds zero bytes); {kind}: needs plain text "
                        f"(UTF-8).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text (the byte 0x{data[e.start]:02x} at position {e.start:,} is not "
                        f"valid UTF-8); save it as UTF-8, or use npz: for binary data.") from None


def _targets(y: np.ndarray, source: str, guess: bool = False) -> tuple[np.ndarray, str, list[str] | None]:
    """Integer (or bool) y: classes; float y: regression. `guess` (csv, where every column is read as
    float): whole non-negative numbers below 10,000 in one column are class labels too. y has only
    finite values here (checked before)."""
    if y.dtype.kind in "iub" or (guess and y.size and y.ndim == 1 and np.all(np.mod(y, 1) == 0)
                                 and y.min() >= 0 and y.max() < 10_000):
        if y.ndim != 1:
            raise DataError(f"{source}: class labels must be one number per sample, but y has shape {list(y.shape)}.")
        if y.size and y.min() < 0:
            raise DataError(f"{source}: class labels must be 0, 1, 2, …, but the smallest is {y.min()}.")
        if y.size and y.max() >= MAX_CLASSES:
            raise DataError(f"{source}: the class labels go up to {y.max():,}, which would mean {int(y.max()) + 1:,} "
                            f"classes (at most {MAX_CLASSES:,}); number the classes 0, 1, 2, …, or save y as float "
                            f"values for regression.")
        y = y.astype(np.int64)
        k = int(y.max()) + 1 if y.size else 0
        return y, CLASSIFICATION, [str(i) for i in range(k)]
    y = y.astype(np.float32)
    return (y[:, None] if y.ndim == 1 else y), REGRESSION, None


def _open_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, "rb") as f:
        head = f.read(6)
    if head == b"\x93NUMPY":
        raise DataError(f"{path} is a .npy file (one array), but npz: needs an .npz archive with the arrays x and y; "
                        f"save it with np.savez(path, x=..., y=...).")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not an .npz file (not a zip archive of arrays){_hint(path)}; save the data "
                        f"with np.savez(path, x=..., y=...).")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("x", "y") if k not in data.files]
            if missing:
                raise DataError(f"{path} has no array named {' or '.join(repr(m) for m in missing)} (it holds "
                                f"{', '.join(repr(f[:40]) for f in data.files[:10]) or 'nothing'}); save it with "
                                f"np.savez(path, x=..., y=...).")
            return data["x"], data["y"]
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise DataError(f"{path} holds Python objects (an object array), which are not read: loading them "
                            f"could run code; save numeric arrays, e.g. np.savez(path, x=x.astype(np.float32), "
                            f"y=y.astype(np.int64)).") from None
        raise DataError(f"{path} is damaged or not a readable .npz file ({_first_line(e)}).") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError, MemoryError, RuntimeError) as e:
        raise DataError(f"{path} is damaged or not a readable .npz file ({_first_line(e)}).") from None


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


def load_npz(path, inp: InputSpec) -> Dataset:
    path = Path(path)
    _file(path, "npz")
    x, y = _open_npz(path)
    for name, a in (("x", x), ("y", y)):
        if a.ndim == 0:
            raise DataError(f"{path.name}: {name} is a single value (a 0-d array), not one entry per sample; x must "
                            f"have the shape (N, ...) and y (N,).")
        if a.dtype.kind not in "biuf":
            wanted = "float32 inputs" if name == "x" else "int64 class labels or float32 targets"
            raise DataError(f"{path.name}: {name} holds {dtype_text(a.dtype)}, which training cannot use; save {name} "
                            f"as real numbers ({wanted}).")
    if len(x) != len(y):
        raise DataError(f"{path.name}: x has {len(x):,} samples but y has {len(y):,}; they must match.")
    if len(x) == 0:
        raise DataError(f"{path.name} holds no samples (x has the shape {list(x.shape)}); save at least two.")
    problem = finite_problem(x, path.name, "x") or finite_problem(y, path.name, "y")
    if problem:
        raise DataError(problem)
    notes: list[str] = []
    y, task, classes = _targets(y, path.name)
    if x.ndim == 1 and len(inp.shape) == 1 and inp.shape[0] == 1:
        x = x[:, None]                     # one number per sample meets an Input of [1]
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
                        f"{inp.shape_text()}; set the Input's shape to {list(x.shape[1:]) or [1]}.")
    kind = "image" if x.ndim == 4 else ("sequence" if x.ndim == 3 else "vector")
    return Dataset(path.name, np.ascontiguousarray(x), y, task, kind, classes, notes)


def _csv_rows(path: Path) -> tuple[list[tuple[int, str]], bool]:
    """The non-blank lines as (line number, text), and whether the first is a header."""
    text = _read_text(path, "csv")
    rows = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not rows:
        raise DataError(f"{path} is empty; csv: needs rows of numbers separated by commas, the last column the "
                        f"label.")
    try:
        [float(v) for v in rows[0][1].split(",")]
        return rows, False
    except ValueError:
        return rows, True


def _csv_problem(path: Path, rows: list[tuple[int, str]]) -> str:
    """Which line breaks the table (a row of another length, a cell that is not a number)."""
    width = len(rows[0][1].split(","))
    for lineno, line in rows:
        cells = line.split(",")
        if len(cells) != width:
            return (f"{path}: line {lineno:,} has {len(cells)} columns but the first row has {width}; every row "
                    f"needs the same columns (features, then the label).")
        for j, cell in enumerate(cells):
            try:
                float(cell)
            except ValueError:
                shown = cell.strip()[:30] + ("…" if len(cell.strip()) > 30 else "")
                other = next((name for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
                              if sep in cell), None)
                hint = (f" (the file seems to separate its values with {other}; csv: reads commas)" if other
                        else "")
                return (f"{path}: line {lineno:,}, column {j + 1} holds {shown!r}, which is not a number{hint}; "
                        f"every column must be numeric and the last one the label.")
    return f"{path} cannot be read as a table of numbers."


def load_csv(path, inp: InputSpec) -> Dataset:
    path = Path(path)
    _file(path, "csv")
    rows, header = _csv_rows(path)
    body = rows[1:] if header else rows
    if not body:
        raise DataError(f"{path.name} has a header line but no rows of data.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # every problem becomes a sentence below
            table = np.loadtxt(io.StringIO("\n".join(line for _, line in body)), delimiter=",", ndmin=2,
                               dtype=np.float64)
    except ValueError:
        raise DataError(_csv_problem(path, body)) from None
    if table.shape[1] < 2:
        raise DataError(f"{path.name} has one column; csv: needs at least two per row: the features, then the label.")
    lines = [n for n, _ in body]
    problem = finite_problem(table[:, :-1], path.name, "the feature columns", "line", lines) or \
        finite_problem(table[:, -1], path.name, "the label column", "line", lines)
    if problem:
        raise DataError(problem)
    x, y = table[:, :-1].astype(np.float32), table[:, -1]
    if inp.dtype != "float32" or tuple(inp.shape) != (x.shape[1],):
        raise DataError(f"{path.name} has {x.shape[1]} feature columns (the last of its {table.shape[1]} is the label) "
                        f"but Input '{inp.node_id}' has shape {inp.shape_text()}; set it to [{x.shape[1]}], float32.")
    y, task, classes = _targets(y, path.name, guess=True)
    return Dataset(path.name, x, y, task, "vector", classes)


def _folder(root: Path) -> list[str]:
    """The class sub-folders of `root`, sorted; a missing folder or a file is a DataError."""
    _exists(root, "folder")
    if not root.is_dir():
        raise DataError(f"{root} is a file, but folder: needs a folder with one sub-folder of images per "
                        f"class{_hint(root)}.")
    try:
        return sorted(p.name for p in root.iterdir() if p.is_dir())
    except OSError as e:
        raise DataError(f"The folder {root} cannot be read ({e.strerror or e}).") from None


def _read_image(file: Path, c: int, h: int, w: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")                                  # PIL's notes on palettes and EXIF
            warnings.simplefilter("error", Image.DecompressionBombWarning)   # but a huge image is refused
            with Image.open(file) as im:
                im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
                a = np.asarray(im, np.uint8)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DataError(f"The image {file} is too large to be a training image (over {Image.MAX_IMAGE_PIXELS:,} "
                        f"pixels, which may be a decompression bomb); remove it or make it smaller.") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as e:
        raise DataError(f"The image {file} cannot be read ({_first_line(e)}); remove or replace it.") from None
    return a[None] if c == 1 else a.transpose(2, 0, 1)


def load_folder(path, inp: InputSpec) -> Dataset:
    root = Path(path)
    classes = _folder(root)
    if len(classes) < 2:
        raise DataError(f"The folder {root} needs one sub-folder of images per class (at least 2); it has "
                        f"{len(classes)}.")
    if len(inp.shape) != 3 or inp.shape[0] not in (1, 3) or inp.dtype != "float32":
        raise DataError(f"The folder {root} holds images but Input '{inp.node_id}' has shape {inp.shape_text()}; set "
                        f"it to [3, 64, 64] (colour) or [1, 64, 64] (grey), any size.")
    c, h, w = inp.shape
    xs, ys, empty = [], [], []
    for k, name in enumerate(classes):
        try:
            files = sorted(f for f in (root / name).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
        except OSError as e:
            raise DataError(f"The class folder {root / name} cannot be read ({e.strerror or e}).") from None
        if not files:
            empty.append(name)
        for file in files:
            xs.append(_read_image(file, c, h, w))
            ys.append(k)
    if not xs:
        raise DataError(f"The class folders in {root} hold no images ({', '.join(sorted(IMAGE_SUFFIXES))}).")
    x = np.stack(xs).astype(np.float32) / 255.0
    notes = [f"Images from {root.name} are converted to {'grey' if c == 1 else 'RGB'} and resized to {h}×{w}."]
    if empty:
        notes.append(f"The class folder(s) {', '.join(repr(e[:40]) for e in empty[:5])} hold no images: their "
                     f"classes are never seen in training.")
    return Dataset(root.name, x, np.array(ys, np.int64), CLASSIFICATION, "image", classes, notes)


def load_text(path, inp: InputSpec) -> Dataset:
    path = Path(path)
    _file(path, "text")
    text = _read_text(path, "text")
    if not text:
        raise DataError(f"{path} is empty; text: needs a text file to learn from (a few thousand characters at "
                        f"least).")
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
