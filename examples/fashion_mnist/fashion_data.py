"""Fashion-MNIST from its IDX files, without torchvision.

Where the files come from, first match wins:

1. the ``data_dir`` argument (``--data-dir`` of the scripts): when given, only there;
2. otherwise ``$FASHION_MNIST_DIR``, then ``/usr/share/datasets/fashion-mnist/`` (Debian's
   ``dataset-fashion-mnist`` package), then ``~/.cache/fashion-mnist/``;
3. otherwise a download of the four original files into ``~/.cache/fashion-mnist/`` (needs network access).

An explicit ``data_dir`` never falls back: a wrong ``--data-dir`` is an error, not a silent switch to whatever
copy the machine happens to have.

Each directory may hold the files plain (``train-images-idx3-ubyte``) or gzipped (``...-ubyte.gz``).
"""

from __future__ import annotations

import gzip
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
CACHE_DIR = Path("~/.cache/fashion-mnist").expanduser()
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """One IDX file as an array: magic ``0 0 <type> <ndim>``, ``ndim`` big-endian sizes, then the data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        data = handle.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code not in _DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic {data[:4].hex()})")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=_DTYPES[dtype_code], offset=4 + 4 * ndim).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as an IDX file (gzipped when the name ends in .gz); used by tests."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as handle:
        handle.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def find_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding all four files: ``data_dir`` alone when given, else the first default that has them
    (downloading them when none does)."""
    if data_dir:
        directory = Path(data_dir).expanduser()
        if _complete(directory):
            return directory
        raise FileNotFoundError(f"{data_dir}: the Fashion-MNIST IDX files ({', '.join(FILES.values())}) are not there")
    env_dir = os.environ.get("FASHION_MNIST_DIR")
    candidates = [Path(env_dir).expanduser()] if env_dir else []
    for directory in [*candidates, SYSTEM_DIR, CACHE_DIR]:
        if _complete(directory):
            return directory
    return download(CACHE_DIR)


def _complete(directory: Path) -> bool:
    return all(_locate(directory, name) for name in FILES.values())


def download(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name in FILES.values():
        target = directory / f"{name}.gz"
        if not target.exists():
            urllib.request.urlretrieve(MIRROR + target.name, target)
    return directory


def load(data_dir: str | os.PathLike[str] | None = None) -> dict[str, np.ndarray]:
    """``train_images``/``test_images`` as float32 in [0, 1] with shape (n, 784); labels as int64."""
    directory = find_dir(data_dir)
    arrays = {}
    for key, name in FILES.items():
        array = read_idx(_locate(directory, name))  # type: ignore[arg-type]
        if key.endswith("images"):
            arrays[key] = (array.reshape(len(array), -1).astype(np.float32) / 255.0)
        else:
            arrays[key] = array.astype(np.int64)
    return arrays


def _locate(directory: Path, name: str) -> Path | None:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None
