"""`mnist`, `fashion-mnist` and `cifar10`: downloaded once into the user cache, or read from a folder.

Downloads come from the published addresses (override with `base_url` or the environment variables
NETWRIGHT_MNIST_URL, NETWRIGHT_FASHION_MNIST_URL, NETWRIGHT_CIFAR10_URL) and are checked against the
published MD5 sums. Images are standardized with the data set's usual mean and standard deviation
(per channel), which trains faster than raw [0, 1] values. `data_dir` reads the files from a folder instead (MNIST-style IDX files, gzipped
or not; CIFAR-10's python tarball or its extracted `cifar-10-batches-py` folder); the training files
are used when present, otherwise the test files (with a note).
"""
from __future__ import annotations

import gzip
import os
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

from .download import DownloadError, cache_dir, fetch
from .base import CLASSIFICATION, DataError, Dataset, InputSpec, as_images, need_float_input

IDX_SETS = {
    "mnist": dict(
        url="https://ossci-datasets.s3.amazonaws.com/mnist/", env="NETWRIGHT_MNIST_URL",
        classes=[str(i) for i in range(10)], norm=((0.1307,), (0.3081,)),
        md5={"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
             "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
             "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
             "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}),
    "fashion-mnist": dict(
        url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", env="NETWRIGHT_FASHION_MNIST_URL",
        classes=["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"], norm=((0.2860,), (0.3530,)),
        md5={"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
             "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
             "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
             "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}),
}
CIFAR = dict(url="https://www.cs.toronto.edu/~kriz/", env="NETWRIGHT_CIFAR10_URL",
             file="cifar-10-python.tar.gz", md5="c58f30108f718f92721af3b95e74349a",
             norm=((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
             classes=["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"])
REMOTE = tuple(IDX_SETS) + ("cifar10",)


def read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX file (gzipped or not) as a uint8 array; a damaged file raises DataError naming it."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
        got, = struct.unpack(">I", data[:4])
        if got != magic:
            raise ValueError(f"it starts with {got}, not the IDX number {magic}")
        dims = (magic & 0xFF)
        shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
        body = np.frombuffer(data, np.uint8, offset=4 + 4 * dims)
        if body.size != int(np.prod(shape)):
            raise ValueError(f"it holds {body.size:,} values where its header promises {int(np.prod(shape)):,}")
        return body.reshape(shape)
    except (OSError, EOFError, ValueError, struct.error, gzip.BadGzipFile) as e:
        raise DataError(f"The data file {path} is damaged or not an IDX file ({e}); delete it and download it "
                        f"again.") from None


def standardize(x: np.ndarray, norm, name: str, notes: list[str]) -> np.ndarray:
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, 1, 1)        # (N, H, W): grey images read as rows
    mean, std = (np.asarray(v, np.float32).reshape(shape) for v in norm)
    x -= mean
    x /= std
    notes.append(f"{name} images are standardized: (x − mean) / std with the usual mean {list(norm[0])} and "
                 f"std {list(norm[1])}.")
    return x


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.exists():
            return candidate
    return None


def _base_url(entry: dict, base_url: str | None) -> str:
    url = base_url or os.environ.get(entry["env"]) or entry["url"]
    return url if url.endswith("/") else url + "/"


def is_cached(name: str) -> bool:
    """Is the data set already in the user cache (so loading it downloads nothing)?"""
    if name == "cifar10":
        return (cache_dir() / "cifar10" / CIFAR["file"]).exists()
    return all((cache_dir() / name / f).exists() for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"))


def load_idx_set(name: str, inp: InputSpec, data_dir=None, base_url=None, progress=None) -> Dataset:
    entry = IDX_SETS[name]
    notes: list[str] = []
    if data_dir is not None:
        folder = Path(data_dir)
        for split in ("train", "t10k"):
            images = _find(folder, f"{split}-images-idx3-ubyte.gz")
            labels = _find(folder, f"{split}-labels-idx1-ubyte.gz")
            if images and labels:
                break
        else:
            raise DataError(f"The folder {folder} has no {name} files: it needs train-images-idx3-ubyte.gz and "
                            f"train-labels-idx1-ubyte.gz (or the t10k- pair).")
        if split == "t10k":
            notes.append(f"Only the {name} test files are in {folder}; training and validation use those "
                         f"{'10,000'} images.")
    else:
        folder = cache_dir() / name
        url = _base_url(entry, base_url)
        try:
            images, labels = (fetch(url + f, folder / f, ("md5", entry["md5"][f]), progress)
                              for f in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"))
        except DownloadError as e:
            raise DataError(str(e)) from None
    x, y = read_idx(images, 2051), read_idx(labels, 2049)
    if len(x) != len(y):
        raise DataError(f"{images.name} has {len(x):,} images but {labels.name} has {len(y):,} labels; the files "
                        f"do not belong together.")
    need_float_input(inp, name)
    x = standardize(as_images(x, name, inp, notes), entry["norm"], name, notes)
    return Dataset(name, x, y.astype(np.int64), CLASSIFICATION, "image", list(entry["classes"]), notes)


class _ArraysOnly(pickle.Unpickler):
    """CIFAR-10's python batches are pickles (dicts of bytes, lists and numpy arrays). A file in the
    cache or in --data-dir may be anything, so only what rebuilds a numpy array is allowed: nothing in
    the file can run code."""
    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("_codecs", "encode")}   # encode: bytes in protocol 2

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"it holds code ({module[:60]}.{name[:60]}), which is refused")
        if module == "_codecs":
            import codecs
            return codecs.encode
        if module.endswith("multiarray"):       # numpy 1's name for it in the original files; numpy 2 moved it
            return getattr(np._core.multiarray if hasattr(np, "_core") else np.core.multiarray, name)
        return getattr(np, name)


def _load_batch(f) -> dict:
    batch = _ArraysOnly(f, encoding="bytes").load()
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise pickle.UnpicklingError("a batch has no data and labels")
    return batch


def _cifar_batches(source: Path) -> list[dict]:
    names = [f"data_batch_{i}" for i in range(1, 6)]
    try:
        if source.is_dir():
            batches = []
            for n in names:
                if (source / n).exists():
                    with open(source / n, "rb") as f:
                        batches.append(_load_batch(f))
            return batches
        with tarfile.open(source, "r:gz") as tar:
            members = {Path(m.name).name: m for m in tar.getmembers()}
            return [_load_batch(tar.extractfile(members[n])) for n in names if n in members]
    except (OSError, EOFError, KeyError, pickle.UnpicklingError, tarfile.TarError, ValueError, TypeError,
            AttributeError, IndexError) as e:
        raise DataError(f"The CIFAR-10 data at {source} is damaged ({e}); delete it and download it again.") from None


def load_cifar10(inp: InputSpec, data_dir=None, base_url=None, progress=None) -> Dataset:
    if data_dir is not None:
        folder = Path(data_dir)
        source = next((p for p in (folder / "cifar-10-batches-py", folder / CIFAR["file"], folder) if p.exists()
                       and (p.is_file() or (p / "data_batch_1").exists())), None)
        if source is None:
            raise DataError(f"The folder {folder} has no CIFAR-10 data: it needs {CIFAR['file']} or the "
                            f"cifar-10-batches-py folder.")
    else:
        url = _base_url(CIFAR, base_url) + CIFAR["file"]
        try:
            source = fetch(url, cache_dir() / "cifar10" / CIFAR["file"], ("md5", CIFAR["md5"]), progress)
        except DownloadError as e:
            raise DataError(str(e)) from None
    batches = _cifar_batches(source)
    if not batches:
        raise DataError(f"The CIFAR-10 data at {source} holds no data_batch files.")
    try:
        x = np.concatenate([np.asarray(b[b"data"], np.uint8) for b in batches]).reshape(-1, 3, 32, 32)
        y = np.concatenate([np.asarray(b[b"labels"], np.int64) for b in batches])
    except (ValueError, TypeError) as e:
        raise DataError(f"The CIFAR-10 data at {source} is damaged ({str(e)[:120]}); delete it and download it "
                        f"again.") from None
    if len(x) != len(y):
        raise DataError(f"The CIFAR-10 data at {source} is damaged ({len(x):,} images but {len(y):,} labels); delete "
                        f"it and download it again.")
    need_float_input(inp, "cifar10")
    notes: list[str] = []
    x = standardize(as_images(x, "cifar10", inp, notes), CIFAR["norm"], "cifar10", notes)
    return Dataset("cifar10", x, y, CLASSIFICATION, "image", list(CIFAR["classes"]), notes)
