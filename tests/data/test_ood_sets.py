"""The OOD sets: shapes, ranges, determinism, what each transformation keeps."""
import torch

from ebmbook.data import invert_images, load_digits, ood_datasets, photo_patches, shuffle_pixels, split_classes


def test_sets_shapes_ranges_and_seeds():
    x = load_digits().x_test[:50]
    a = ood_datasets(x, generator=torch.Generator().manual_seed(0))
    b = ood_datasets(x, generator=torch.Generator().manual_seed(0))
    for name, v in a.items():
        assert v.shape == (50, 64) and v.dtype == x.dtype, name
        assert float(v.min()) >= 0 and float(v.max()) <= 1, name
        assert torch.equal(v, b[name]), name


def test_shuffle_keeps_histogram_and_invert_is_involution():
    x = load_digits().x_test[:20]
    s = shuffle_pixels(x, generator=torch.Generator().manual_seed(1))
    assert torch.equal(s.sort(1).values, x.sort(1).values) and not torch.equal(s, x)
    assert torch.allclose(invert_images(invert_images(x)), x)


def test_photo_patches_vary():
    p = photo_patches(200, generator=torch.Generator().manual_seed(0))
    assert float(p.std(1).mean()) > 0.01 and float(p.mean(1).std()) > 0.05


def test_split_classes_partitions_and_renumbers():
    d = load_digits()
    s = split_classes(d.x_train, d.y_train, held_out=[5, 6, 7, 8, 9])
    assert s.classes_in == (0, 1, 2, 3, 4)
    assert len(s.x_in) + len(s.x_out) == len(d.x_train)
    assert set(s.y_in.tolist()) == {0, 1, 2, 3, 4} and set(s.y_out.tolist()) == {5, 6, 7, 8, 9}
    s2 = split_classes(d.x_train, d.y_train, held_out=[0])
    assert s2.classes_in[0] == 1 and int(s2.y_in.max()) == 8
