"""Image data that ships or that the user supplies: scikit-learn's digits and MNIST IDX files.

Nothing is downloaded. ``load_digits`` reads the 8×8 digits bundled with
scikit-learn; ``load_mnist`` reads MNIST from IDX files the user already has.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from typing import NamedTuple

import numpy as np
import torch

from ..utils import _check_real, check_int, check_path, check_probability

__all__ = ["ImageData", "load_digits", "read_idx", "write_idx", "load_mnist"]

# IDX type codes (LeCun's format): code -> (numpy dtype, big-endian)
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class ImageData(NamedTuple):
    """A train/test split of flattened images.

    Attributes
    ----------
    x_train, x_test : Tensor ``(n, H * W)``, float32
    y_train, y_test : Tensor ``(n,)``, int64 labels
    image_shape : tuple ``(H, W)``
    """

    x_train: torch.Tensor
    x_test: torch.Tensor
    y_train: torch.Tensor
    y_test: torch.Tensor
    image_shape: tuple[int, int]


def _split(x: np.ndarray, y: np.ndarray, test_size: float, seed: int, image_shape) -> ImageData:
    n = len(x)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    n_test = int(round(test_size * n))
    test, train = perm[:n_test], perm[n_test:]
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))
    return ImageData(t(x[train]).float(), t(x[test]).float(), t(y[train]).long(), t(y[test]).long(),
                     tuple(image_shape))


def load_digits(binarize: bool = False, threshold: float = 7.0, scale: bool = True,
                test_size: float = 0.25, seed: int = 0) -> ImageData:
    """scikit-learn's 1797 handwritten digits (8×8, grey levels 0–16), split into train and test.

    Parameters
    ----------
    binarize : bool
        Map pixels to {0, 1} by ``pixel > threshold``.
    threshold : float
        Binarisation threshold on the 0–16 scale (the book uses 7).
    scale : bool
        If not binarised, divide by 16 so pixels lie in [0, 1].
    test_size : float in [0, 1)
        Fraction held out, chosen by a seeded permutation.
    seed : int

    Returns
    -------
    ImageData, images flattened to 64 pixels

    Examples
    --------
    >>> data = load_digits(binarize=True)
    >>> data.x_train.shape, data.image_shape
    (torch.Size([1348, 64]), (8, 8))

    Used in chapters 3, 4 and 5.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError as err:  # an optional dependency: the `data` extra (also in `book` and `test`)
        raise ImportError("load_digits needs scikit-learn, which ships the digits and which the core "
                          'package does not install: pip install "ebmbook[data]" (or scikit-learn)') from err

    test_size = check_probability(test_size, "test_size")
    if test_size >= 1:
        raise ValueError("test_size must be < 1")
    seed = check_int(seed, "seed", minimum=0)
    threshold = _check_real(threshold, "threshold")
    bunch = sk_load_digits()
    x = bunch.data.astype(np.float64)
    if binarize:
        x = (x > threshold).astype(np.float64)
    elif scale:
        x = x / 16.0
    return _split(x, bunch.target, test_size, seed, (8, 8))


def _open(path: str | os.PathLike, mode: str):
    path = os.fspath(path)
    return gzip.open(path, mode) if path.endswith(".gz") else open(path, mode)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzipped), the format MNIST is distributed in.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (nothing is downloaded).
    ValueError
        If the header is not a valid IDX header or the data are truncated.
    """
    path = check_path(path, "path")
    if not os.path.exists(path):
        raise FileNotFoundError(f"IDX file not found: {path} (ebmbook never downloads data; supply the file)")
    try:
        with _open(path, "rb") as f:
            header = f.read(4)
            if len(header) != 4 or header[0] != 0 or header[1] != 0 or header[2] not in _IDX_TYPES:
                raise ValueError(f"{path} is not an IDX file (bad magic number)")
            dtype = np.dtype(_IDX_TYPES[header[2]])
            ndim = header[3]
            raw_dims = f.read(4 * ndim)
            if len(raw_dims) != 4 * ndim:
                raise ValueError(f"{path}: truncated IDX header (expected {ndim} dimension sizes)")
            dims = struct.unpack(">" + "I" * ndim, raw_dims)
            count = int(np.prod(dims)) if dims else 1
            payload = f.read()
    except (EOFError, OSError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"{path}: corrupt or truncated file ({type(err).__name__}: {err})") from err
    if len(payload) != count * dtype.itemsize:
        raise ValueError(f"{path}: expected {count * dtype.itemsize} data bytes for shape {dims}, got {len(payload)}")
    return np.frombuffer(payload, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped if ``path`` ends in ``.gz``); used to test :func:`read_idx`."""
    path = check_path(path, "path")
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("=").str: k for k, v in _IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=").str
    if key not in codes:
        raise ValueError(f"array dtype {array.dtype} has no IDX type code")
    code = codes[key]
    with _open(path, "wb") as f:
        f.write(bytes([0, 0, code, array.ndim]))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(array.astype(np.dtype(_IDX_TYPES[code])).tobytes())


def load_mnist(images_path: str | os.PathLike, labels_path: str | os.PathLike, binarize: bool = False,
               threshold: float = 127.0, test_size: float = 0.0, seed: int = 0) -> ImageData:
    """Load MNIST-style images and labels from user-supplied IDX files.

    Parameters
    ----------
    images_path : path to e.g. ``train-images-idx3-ubyte(.gz)``, shape ``(n, H, W)`` uint8
    labels_path : path to the matching labels file, shape ``(n,)``
    binarize : bool, map pixels to {0, 1} by ``pixel > threshold`` (in the stored units); otherwise
        scale to [0, 1]: integer images are divided by their type's maximum (255 for MNIST's
        uint8), floating images must already lie in [0, 1] and are kept as stored
    test_size : float, fraction held out (0 keeps everything in ``x_train``)

    Returns
    -------
    ImageData with images flattened to ``H * W`` pixels
    """
    images_path, labels_path = check_path(images_path, "images_path"), check_path(labels_path, "labels_path")
    threshold = _check_real(threshold, "threshold")
    seed = check_int(seed, "seed", minimum=0)
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise ValueError(f"images_path must hold a 3-D array (n, H, W), got shape {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"labels_path must hold {len(images)} labels, got shape {labels.shape}")
    test_size = check_probability(test_size, "test_size")
    if test_size >= 1:
        raise ValueError("test_size must be < 1")
    x = images.reshape(len(images), -1).astype(np.float64)
    x = (x > threshold).astype(np.float64) if binarize else _to_unit_interval(x, images.dtype, images_path)
    return _split(x, labels.astype(np.int64), test_size, seed, images.shape[1:])


def _to_unit_interval(x: np.ndarray, dtype: np.dtype, path) -> np.ndarray:
    """Scale stored pixels to [0, 1] by what the stored type means, never by a blind 1/255."""
    if np.issubdtype(dtype, np.integer):
        if x.min(initial=0) < 0:
            raise ValueError(f"{path}: integer images must be non-negative, got a minimum of {x.min()}")
        return x / float(np.iinfo(dtype).max)
    if x.size and (not np.isfinite(x).all() or x.min() < 0 or x.max() > 1):
        raise ValueError(f"{path}: floating-point images must lie in [0, 1], got values in "
                         f"[{np.nanmin(x):g}, {np.nanmax(x):g}]")
    return x
