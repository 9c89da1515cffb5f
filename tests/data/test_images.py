import gzip

import numpy as np
import pytest
import torch

from ebmbook.data import load_digits, load_mnist, read_idx, write_idx


def test_digits_split_is_seeded_and_binarised():
    a = load_digits(binarize=True, seed=0)
    b = load_digits(binarize=True, seed=0)
    assert torch.equal(a.x_test, b.x_test)
    assert a.x_train.shape == (1348, 64) and a.x_test.shape == (449, 64)
    assert set(a.x_train.unique().tolist()) <= {0.0, 1.0}
    assert a.image_shape == (8, 8)
    grey = load_digits(seed=1)
    assert grey.x_train.max() <= 1.0 and grey.x_train.min() >= 0.0
    assert not torch.equal(grey.y_test, load_digits(seed=2).y_test)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, suffix):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7).astype(np.uint8)
    write_idx(tmp_path / f"img{suffix}", images)
    write_idx(tmp_path / f"lab{suffix}", labels)
    np.testing.assert_array_equal(read_idx(tmp_path / f"img{suffix}"), images)
    data = load_mnist(tmp_path / f"img{suffix}", tmp_path / f"lab{suffix}", binarize=True)
    assert data.x_train.shape == (7, 20) and data.image_shape == (5, 4)
    # the split permutes, so compare as sets of (image, label) rows
    expected = sorted(((images.reshape(7, -1) > 127).astype(float).tolist()[i], int(labels[i])) for i in range(7))
    got = sorted((data.x_train[i].tolist(), int(data.y_train[i])) for i in range(7))
    assert got == expected


def test_idx_float_and_big_endian_types(tmp_path):
    arr = np.arange(6, dtype=np.float32).reshape(2, 3) / 3
    write_idx(tmp_path / "f", arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), arr)
    ints = np.array([1, -2, 70000], dtype=np.int32)
    write_idx(tmp_path / "i", ints)
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), ints)


def test_idx_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        read_idx(tmp_path / "missing")
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad")
    write_idx(tmp_path / "trunc", np.zeros((3, 2, 2), dtype=np.uint8))
    data = (tmp_path / "trunc").read_bytes()
    (tmp_path / "trunc").write_bytes(data[:-3])
    with pytest.raises(ValueError, match="expected"):
        read_idx(tmp_path / "trunc")
    write_idx(tmp_path / "img", np.zeros((3, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "lab", np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match="labels_path"):
        load_mnist(tmp_path / "img", tmp_path / "lab")
    with pytest.raises(ValueError, match="images_path"):
        load_mnist(tmp_path / "lab", tmp_path / "lab")


def test_mnist_float_images_are_not_divided_by_255(tmp_path):
    images = np.random.default_rng(0).random((6, 4, 4)).astype(np.float32)       # already in [0, 1]
    write_idx(tmp_path / "img.idx", images)
    write_idx(tmp_path / "lab.idx", np.arange(6, dtype=np.uint8))
    data = load_mnist(tmp_path / "img.idx", tmp_path / "lab.idx")
    order = data.y_train.numpy()                                # labels 0..5 name the original rows
    np.testing.assert_allclose(data.x_train.numpy().reshape(6, 4, 4), images[order], rtol=1e-6)
    write_idx(tmp_path / "big.idx", images * 255)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_mnist(tmp_path / "big.idx", tmp_path / "lab.idx")


def test_idx_truncated_header_and_corrupt_gzip_raise_value_errors(tmp_path):
    truncated = tmp_path / "short.idx"
    truncated.write_bytes(bytes([0, 0, 0x08, 3]) + b"\x00\x00")      # 3 dimensions announced, half of one given
    with pytest.raises(ValueError, match="truncated"):
        read_idx(truncated)
    write_idx(tmp_path / "ok.idx.gz", np.zeros((5, 3, 3), dtype=np.uint8))
    raw = (tmp_path / "ok.idx.gz").read_bytes()
    (tmp_path / "cut.idx.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        read_idx(tmp_path / "cut.idx.gz")
    (tmp_path / "garbage.idx.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="corrupt"):
        read_idx(tmp_path / "garbage.idx.gz")
