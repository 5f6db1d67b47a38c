"""The functions of an exported training script (`python main.py export NET.json --script train.py`).

engine/runtime/script_export.py copies these functions, as source, into the script after the network's
`class Net` and the constants below (which it writes with the network's values, each through repr),
so the script needs only torch and numpy. Nothing here runs inside Netwright; the tests run the
exported scripts. The generated data sets follow engine/data (same seed, same samples); files are
written with Netwright's own atomic write (engine/core/files.py), which the script carries a copy of.
"""
# ruff: noqa: F821   (Net and atomic_write: the script defines them above these functions)
from __future__ import annotations

import argparse
import csv
import datetime
import gzip
import hashlib
import os
import struct
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

# Placeholders: the exporter writes the network's own values in the script.
DATASET = "shapes"
DATA_PATH = None
INPUT_SHAPE = (1, 28, 28)
INPUT_DTYPE = "float32"
LOG_SOFTMAX_OUTPUT = False
SETTINGS: dict = {}  # epochs, batch_size, lr, optimizer, …: the network's training object, else its defaults
GENERATE = None      # the generator of a built-in data set (e.g. make_shapes), copied from engine/data
IDX_NORM = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}


# ---- data (the generators and the Dataset they return are copied from engine/data) ----------------

def read_idx(path):
    """An MNIST-style IDX file (gzipped or not) as a uint8 array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = struct.unpack(">I", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_idx_folder(folder):
    """x (N, H, W) uint8 and y (N,) from train-images/labels (or the t10k- pair) in a folder."""
    folder = Path(folder)
    for split in ("train", "t10k"):
        for suffix in (".gz", ""):
            images = folder / f"{split}-images-idx3-ubyte{suffix}"
            labels = folder / f"{split}-labels-idx1-ubyte{suffix}"
            if images.exists() and labels.exists():
                return read_idx(images), read_idx(labels).astype(np.int64)
    raise SystemExit(f"{folder} holds no train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (or t10k-).")


def load_data(data_path, dataset=DATASET):
    """x (N, *INPUT_SHAPE), y and the task of the data set: generated here, or read from data_path."""
    inp = InputSpec("input", tuple(INPUT_SHAPE), INPUT_DTYPE)
    if dataset == DATASET and GENERATE is not None:
        ds = GENERATE(inp, DEFAULT_SAMPLES, SETTINGS["seed"])
        return ds.x, ds.y, ds.task
    if data_path is None:
        raise SystemExit(f"The data set {dataset!r} is read from a file or folder: give it with --data PATH.")
    if dataset == "text":
        ds = text_dataset(Path(data_path).read_text(encoding="utf-8"), Path(data_path).name, inp)
        return ds.x, ds.y, ds.task
    if dataset in IDX_NORM:
        x, y = load_idx_folder(data_path)
        mean, std = IDX_NORM[dataset]
        x = x.astype(np.float32) / 255.0
        if len(INPUT_SHAPE) == 3:                     # [1, H, W]: smaller images are padded, centred
            _, h, w = INPUT_SHAPE
            top, left = (h - x.shape[1]) // 2, (w - x.shape[2]) // 2
            x = np.pad(x, ((0, 0), (top, h - x.shape[1] - top), (left, w - x.shape[2] - left)))[:, None]
        return (x - mean) / std, y, CLASSIFICATION
    if dataset == "npz":
        with np.load(data_path, allow_pickle=False) as d:
            x, y = d["x"], d["y"]
        x = x.astype(np.int64) if INPUT_DTYPE == "int64" else (
            x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32))
        x = x.reshape(len(x), *INPUT_SHAPE)
    else:                                     # csv: numeric columns, the last one the label
        with open(data_path, encoding="utf-8") as f:
            first = f.readline()
        try:
            [float(v) for v in first.split(",")]
            skip = 0
        except ValueError:
            skip = 1
        table = np.loadtxt(data_path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
        x, y = table[:, :-1].astype(np.float32), table[:, -1]
        if np.all(np.mod(y, 1) == 0) and y.min() >= 0 and y.max() < 10_000:
            y = y.astype(np.int64)
    if y.dtype.kind in "iub":
        return x, y.astype(np.int64), CLASSIFICATION
    y = y.astype(np.float32)
    return x, (y[:, None] if y.ndim == 1 else y), REGRESSION


def split(n, val_split, seed):
    """Train and validation indices, as Netwright's trainer splits (seeded, sorted)."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_split)) if n > 1 else 0
    if val_split > 0 and n > 1:
        n_val = min(max(n_val, 1), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


# ---- training --------------------------------------------------------------------------------------

def pick_device(name, local_rank, distributed):
    """auto: CUDA, then MPS, then CPU (as the app). Under torchrun each process takes its own GPU."""
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available() \
                and not distributed:
            name = "mps"
        else:
            name = "cpu"
    if name == "cuda" and distributed:
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(name)


def make_optimizer(params, name, lr, weight_decay):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, weight_decay=weight_decay)


def loss_of(out, y, task):
    if task == TEXT:                              # a character model: every time step is a classification
        return F.cross_entropy(out.flatten(0, 1), y.flatten())
    if task == CLASSIFICATION:
        return F.nll_loss(out, y) if LOG_SOFTMAX_OUTPUT else F.cross_entropy(out, y)
    return F.mse_loss(out, y)


def correct(out, y, task):
    """Right answers in a batch (the share of right characters per sample for text), or 0 for regression."""
    if task == TEXT:
        return (out.argmax(-1) == y).double().mean(-1).sum()
    if task == CLASSIFICATION:
        return (out.argmax(-1) == y).sum()
    return torch.zeros((), dtype=torch.float64, device=out.device)


def parameters_digest(model):
    h = hashlib.sha256()
    for p in model.state_dict().values():
        h.update(p.detach().cpu().contiguous().numpy().tobytes())
    return h.digest()


def save_atomic(obj, path):
    atomic_write(path, lambda f: torch.save(obj, f))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    p.add_argument("--batch-size", type=int, default=SETTINGS["batch_size"],
                   help="the batch over all processes (each of N processes takes 1/N of it)")
    p.add_argument("--lr", type=float, default=SETTINGS["lr"])
    p.add_argument("--data", default=DATA_PATH, help="the data file or folder (for data sets not generated here)")
    p.add_argument("--dataset", default=DATASET, choices=sorted({DATASET, "mnist", "fashion-mnist", "npz", "csv", "text"}),
                   help=f"the data set (default {DATASET}); mnist and fashion-mnist read a folder of IDX files, npz, "
                        "csv and text a file, all given with --data")
    p.add_argument("--out", default="run", help="folder for checkpoint.pt and metrics.csv (resumed from)")
    p.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda or mps")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: no limit)")
    args = p.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or not args.lr > 0:
        p.error("--epochs and --batch-size must be at least 1 and --lr above 0")
    return args


def evaluate(model, x, y, task, rank, world, device):
    """Validation loss and accuracy over the whole split: each process scores its share, summed."""
    model.eval()
    part = torch.arange(rank, len(x), world)
    totals = torch.zeros(3, dtype=torch.float64, device=device)
    with torch.no_grad():
        for i in range(0, len(part), 1024):
            idx = part[i:i + 1024]
            xb, yb = x[idx].to(device), y[idx].to(device)
            out = model(xb)
            totals[0] += float(loss_of(out, yb, task)) * len(idx)
            totals[1] += float(correct(out, yb, task))
            totals[2] += len(idx)
    if world > 1:
        dist.all_reduce(totals)
    model.train()
    if totals[2] == 0:
        return None, None
    return float(totals[0] / totals[2]), (float(totals[1] / totals[2]) if task != REGRESSION else None)


def main(argv=None):
    args = parse_args(argv)
    distributed = "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank, world = (int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])) if distributed else (0, 1)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(args.device, local_rank, distributed)
    if distributed:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                timeout=datetime.timedelta(minutes=10))
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} processes.")
    per_rank = args.batch_size // world
    seed = SETTINGS["seed"]
    out = Path(args.out)
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    x, y, task = load_data(args.data, args.dataset)
    train_idx, val_idx = split(len(x), SETTINGS["val_split"], seed)
    x, y = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
    train_x, train_y, val_x, val_y = x[train_idx], y[train_idx], x[val_idx], y[val_idx]

    torch.manual_seed(seed)
    model = Net().to(device)
    optimizer = make_optimizer(model.parameters(), SETTINGS["optimizer"], args.lr, SETTINGS["weight_decay"])
    start, step = 0, 0
    checkpoint = out / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        for group in optimizer.param_groups:
            group["lr"] = args.lr
        start, step = state["epoch"], state["step"]
        if rank == 0:
            print(f"resuming from {checkpoint} after epoch {start}", flush=True)
    net = model
    if distributed:
        net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
    sampler = torch.utils.data.DistributedSampler(range(len(train_x)), num_replicas=world, rank=rank, shuffle=True,
                                                  seed=seed)
    for epoch in range(start, args.epochs):
        sampler.set_epoch(epoch)
        torch.manual_seed(seed + 1000 * (epoch + 1) + rank)    # dropout masks: the same again when resumed
        order = torch.tensor(list(sampler))
        began, totals = time.perf_counter(), torch.zeros(3, dtype=torch.float64, device=device)
        net.train()
        for i in range(0, len(order), per_rank):
            if args.max_steps and step >= args.max_steps:
                break
            idx = order[i:i + per_rank]
            xb, yb = train_x[idx].to(device), train_y[idx].to(device)
            out_b = net(xb)
            loss = loss_of(out_b, yb, task)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            totals[0] += loss.detach().double() * len(idx)
            totals[1] += correct(out_b.detach(), yb, task)
            totals[2] += len(idx)
        if distributed:
            dist.all_reduce(totals)
        seconds = time.perf_counter() - began
        val_loss, val_acc = evaluate(model, val_x, val_y, task, rank, world, device)
        row = {"epoch": epoch + 1, "step": step, "train_loss": float(totals[0] / max(totals[2], 1)),
               "train_accuracy": float(totals[1] / max(totals[2], 1)) if task != REGRESSION else "",
               "val_loss": "" if val_loss is None else val_loss, "val_accuracy": "" if val_acc is None else val_acc,
               "lr": args.lr, "seconds": round(seconds, 3), "samples_per_sec": round(float(totals[2]) / seconds, 1)}
        if rank == 0:
            save_atomic({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                         "step": step, "settings": {**SETTINGS, "lr": args.lr, "batch_size": args.batch_size}},
                        checkpoint)
            metrics = out / "metrics.csv"
            new = not metrics.exists()
            with open(metrics, "a", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, list(row))
                if new:
                    writer.writeheader()
                writer.writerow(row)
            shown = f"epoch {epoch + 1}/{args.epochs}: train loss {row['train_loss']:.4f}"
            if val_loss is not None:
                shown += f", val loss {val_loss:.4f}" + ("" if val_acc is None else f", val accuracy {val_acc:.1%}")
            print(shown + f" ({row['samples_per_sec']:,.0f} samples/s on {world} × {device})", flush=True)
        if args.max_steps and step >= args.max_steps:
            break
    if distributed:
        digests = [None] * world
        dist.all_gather_object(digests, parameters_digest(model))
        if rank == 0:
            same = all(d == digests[0] for d in digests)
            print(f"parameters {'identical' if same else 'DIFFERENT'} on all {world} processes", flush=True)
        dist.barrier()                      # every process reaches the end before any tears Gloo down: one that
        dist.destroy_process_group()        # left first made the other abort ("terminate called ...") now and then

