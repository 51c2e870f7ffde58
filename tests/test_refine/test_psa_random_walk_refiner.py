"""PSARandomWalkRefiner: the trained network's affinities, the walk, the
affinity cache and AEFT's post-walk CRF, with a stand-in network."""
import numpy as np
import pytest
import torch

from mmwsss.ops import dense_crf
from mmwsss.ops.pair_geometry import psa_pair_indices, search_directions
from mmwsss.refine.random_walk import PSARandomWalkRefiner, psa_walk

MEAN = torch.tensor([123.675, 116.28, 103.53]).reshape(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).reshape(3, 1, 1)


class FakeAffinityNet:
    """predict_affinity as AffinityNet's: padded normalised image and
    affinities of the PSA pairs (here a fixed random draw)."""

    def __init__(self):
        self.calls = 0
        self.data_preprocessor = type('Pre', (), dict(mean=MEAN, std=STD))

    def predict_affinity(self, image):
        self.calls += 1
        height, width = image.shape[:2]
        pad_h, pad_w = -(-height // 8) * 8, -(-width // 8) * 8
        inputs = (torch.from_numpy(image).permute(2, 0, 1).float() -
                  MEAN) / STD
        inputs = torch.nn.functional.pad(
            inputs, (0, pad_w - width, 0, pad_h - height))[None]
        grid = (pad_h // 8, pad_w // 8)
        n_pairs = len(search_directions(5)) * len(
            psa_pair_indices(5, grid)[0])
        rng = np.random.default_rng(int(image.sum()) % 1000)
        affinity = torch.from_numpy(
            rng.uniform(0.0, 0.3, n_pairs).astype(np.float32))
        return dict(
            affinity=affinity.reshape(len(search_directions(5)), -1),
            radius=5,
            grid=grid,
            inputs=inputs,
            stride=8)


def case():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (60, 90, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:60, :90]
    cams = np.stack([
        np.exp(-((yy - 20)**2 + (xx - 20)**2) / 80.0),
        np.exp(-((yy - 40)**2 + (xx - 70)**2) / 80.0)
    ]).astype(np.float32)
    return image, cams, np.array([4, 11])


def refiner_with(net, **kwargs):
    refiner = PSARandomWalkRefiner(**kwargs)
    refiner._network = net
    return refiner


def test_label_is_the_walk_of_the_network_affinities():
    image, cams, keys = case()
    net = FakeAffinityNet()
    label = refiner_with(net, alpha=4, beta=8, logt=6)(image, cams, keys)
    affinity = net.predict_affinity(image)['affinity'].numpy()
    expected = psa_walk(cams, keys, affinity, 5, alpha=4, beta=8,
                        logt=6)['label']
    np.testing.assert_array_equal(label, expected)
    assert set(np.unique(label)) <= {0, 5, 12}


def test_cache_runs_the_network_once_per_image(tmp_path):
    image, cams, keys = case()
    net = FakeAffinityNet()
    first = refiner_with(net, alpha=4, cache_dir=str(tmp_path))
    label = first(image, cams, keys)
    assert net.calls == 1 and len(list(tmp_path.iterdir())) == 1
    # another alpha reuses the cached affinities: no network call
    other = refiner_with(net, alpha=8, cache_dir=str(tmp_path))
    other(image, cams, keys)
    again = refiner_with(net, alpha=4, cache_dir=str(tmp_path))
    np.testing.assert_array_equal(again(image, cams, keys), label)
    assert net.calls == 1


def test_aeft_crf_after_the_walk():
    image, cams, keys = case()
    net = FakeAffinityNet()
    refiner = refiner_with(
        net, alpha=19, logt=6, crf=dict(n_iter=1), num_classes=20)
    label = refiner(image, cams, keys)
    # by hand: all 21 channels, the truncated de-normalised padded image
    out = net.predict_affinity(image)
    walk = psa_walk(cams, keys, out['affinity'].numpy(), 5, alpha=19,
                    logt=6)
    full = np.zeros((21, 64, 96), np.float32)
    full[[0, 5, 12]] = walk['upsampled'].float().numpy()
    img8 = (out['inputs'][0] * STD + MEAN).clamp(0, 255).permute(
        1, 2, 0).numpy().astype(np.uint8)
    assert (img8[60:] == np.array([123, 116, 103])).all()  # mean padding
    expected = dense_crf(img8, full, n_iter=1).argmax(0)[:60, :90]
    np.testing.assert_array_equal(label, expected.astype(np.uint8))
    present = refiner_with(
        net, alpha=19, logt=6, crf=dict(n_iter=1, channels='present',
                                         image='original'))(image, cams,
                                                            keys)
    assert set(np.unique(present)) <= {0, 5, 12}


def test_bad_settings_raise():
    with pytest.raises(ValueError, match='num_classes'):
        PSARandomWalkRefiner(crf=dict(n_iter=1))
    with pytest.raises(ValueError, match='crf.image'):
        PSARandomWalkRefiner(crf=dict(image='x'), num_classes=20)
    image, cams, keys = case()
    with pytest.raises(Exception, match='config= and checkpoint='):
        PSARandomWalkRefiner()(image, cams, keys)


class FakeIRNet:
    """edge_map as IRNet's: a boundary map at stride 4 (here a vertical
    wall between the two objects)."""

    def __init__(self):
        self.calls = 0

    def edge_map(self, image):
        self.calls += 1
        height, width = image.shape[:2]
        edge = torch.zeros((height - 1) // 4 + 1, (width - 1) // 4 + 1)
        edge[:, 11] = 1.0
        return dict(edge=edge)


def test_irn_refiner_walks_the_edge_map_of_the_network(tmp_path):
    from mmwsss.refine.random_walk import (
        IRNRandomWalkRefiner,
        irn_semantic_label,
        lowres_cams,
    )
    image, cams, keys = case()
    net = FakeIRNet()
    refiner = IRNRandomWalkRefiner(
        exp_times=6, cam_power=1.3, bg_threshold=0.27,
        cache_dir=str(tmp_path))
    refiner._network = net
    label = refiner(image, cams, keys)
    small = lowres_cams(cams)
    assert small.shape == (2, 15, 23)
    np.testing.assert_allclose(small.max((1, 2)), 1, atol=1e-4)
    expected = irn_semantic_label(
        net.edge_map(image)['edge'], small, keys, (60, 90),
        bg_threshold=0.27, cam_power=1.3, exp_times=6)['label']
    np.testing.assert_array_equal(label, expected)
    assert set(np.unique(label)) == {0, 5, 12}
    refiner(image, cams, keys)  # from the cache
    assert net.calls == 2  # the refiner's one call + the reference's
