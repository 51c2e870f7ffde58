"""AffinityNet's training labels: crop placement and padding, pooling
before argmax, the low / high combination, pair labels against a loop over
the pairs, and the transforms against the pure function."""
import random

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose

from mmwsss.datasets.transforms.psa_affinity_labels import (
    block_mean_pool,
    crf_affinity_label,
    crop_to_container,
    psa_affinity_labels,
    psa_crop_box,
    psa_pair_labels,
)
from mmwsss.ops import search_directions
from mmwsss.utils import InvalidInputError, MissingInputError


def test_crop_box_draws_columns_first():
    # wide image: the column draw is the image offset, the row draw the
    # container offset; the columns come first
    box = psa_crop_box((5, 12), 8, rng=random.Random(3))
    ref = random.Random(3)
    img_x = ref.randrange(12 - 8 + 1)
    cont_y = ref.randrange(8 - 5 + 1)
    assert box == dict(container=(cont_y, 0), image=(0, img_x), extent=(5, 8))
    # tall image, and a side equal to the crop (container draw of 1 value)
    box = psa_crop_box((20, 8), 8, rng=random.Random(4))
    ref = random.Random(4)
    cont_x = ref.randrange(1)
    img_y = ref.randrange(20 - 8 + 1)
    assert box == dict(container=(0, cont_x), image=(img_y, 0), extent=(8, 8))
    random.seed(7)
    drawn = psa_crop_box((30, 40), 16)
    random.seed(7)
    assert drawn == psa_crop_box((30, 40), 16, rng=random)


def test_explicit_crop_places_image_and_pads_black():
    image = np.arange(5 * 12 * 3, dtype=np.uint8).reshape(5, 12, 3) + 1
    box = dict(container=(2, 0), image=(0, 3), extent=(5, 8))
    out = crop_to_container(image, box, 8)
    assert out.dtype == np.uint8 and out.shape == (8, 8, 3)
    assert np.array_equal(out[2:7], image[:, 3:11])
    assert (out[:2] == 0).all() and (out[7:] == 0).all()
    scores = np.random.rand(4, 5, 12).astype(np.float32)
    out = crop_to_container(scores, box, 8, channels_first=True)
    assert out.shape == (4, 8, 8)
    assert np.array_equal(out[:, 2:7], scores[:, :, 3:11])
    assert (out[:, :2] == 0).all() and (out[:, 7:] == 0).all()


def test_pooling_comes_before_the_argmax():
    # one 2x2 block: per-pixel argmax is bg on 3 of 4 pixels, but the block
    # mean favours the class
    cls = np.array([[1.0, 0.45], [0.45, 0.45]])
    lo = np.stack([1 - cls, cls])
    pooled = block_mean_pool(np.concatenate([lo, lo]), 2)
    assert pooled.shape == (4, 1, 1)
    assert np.allclose(pooled[:2, 0, 0], [0.4125, 0.5875])
    parts = crf_affinity_label(pooled)
    assert parts['la'][0, 0] == 1 and parts['label'][0, 0] == 1
    # a size not a multiple of the stride is zero-padded (block_reduce)
    x = np.ones((1, 3, 5))
    assert np.allclose(block_mean_pool(x, 2)[0],
                       [[1, 1, 0.5], [0.5, 0.5, 0.25]])


def test_low_high_combination():
    # cells: (la, ha) = (0, 0) -> 0; (0, 1) -> 255; (2, 0) -> 0;
    # (2, 1) -> 2 (la wins); no score -> 255
    def onehot(idx):
        out = np.zeros((3, 1, len(idx)))
        out[idx, 0, np.arange(len(idx))] = 0.8
        return out

    lo = onehot([0, 0, 2, 2, 0])
    hi = onehot([0, 1, 0, 1, 0])
    pooled = np.concatenate([lo, hi])
    pooled[:, 0, 4] = 1e-6  # below 1e-5 everywhere
    parts = crf_affinity_label(pooled)
    assert parts['la'].tolist() == [[0, 0, 2, 2, 0]]
    assert parts['ha'].tolist() == [[0, 1, 0, 1, 0]]
    assert parts['no_score'].tolist() == [[False] * 4 + [True]]
    assert parts['label'].tolist() == [[0, 255, 0, 2, 255]]
    assert parts['label'].dtype == np.uint8
    # ties: the first channel wins
    tie = np.full((4, 1, 1), 0.5)
    assert crf_affinity_label(tie)['label'].tolist() == [[0]]


def loop_pair_labels(label, radius, full=False):
    h, w = label.shape
    if full:
        sources = [(y, x) for y in range(h) for x in range(w)]
    else:
        sources = [(y, x) for y in range(h - radius + 1)
                   for x in range(radius - 1, w - radius + 1)]
    dirs = search_directions(radius)
    out = np.zeros((3, len(dirs), len(sources)), np.float32)
    for d, (dy, dx) in enumerate(dirs):
        for s, (y, x) in enumerate(sources):
            if not (y + dy < h and 0 <= x + dx < w):
                continue
            f, t = label[y, x], label[y + dy, x + dx]
            if f == 255 or t == 255:
                continue
            out[0 if f == t == 0 else 1 if f == t else 2, d, s] = 1
    return out


@pytest.mark.parametrize('radius,full', [(5, False), (3, False), (2, False),
                                         (4, True)])
def test_pair_labels_match_a_loop(radius, full):
    rng = np.random.default_rng(radius)
    label = rng.choice([0, 1, 2, 255], size=(9, 13)).astype(np.uint8)
    got = psa_pair_labels(label, radius, 'full' if full else 'psa')
    assert all(g.dtype == np.float32 for g in got)
    assert np.array_equal(np.stack(got), loop_pair_labels(label, radius, full))
    assert got[0].sum() and got[1].sum() and got[2].sum()


def random_case(h=13, w=22, k=2, seed=0):
    rng = np.random.default_rng(seed)
    image = rng.integers(1, 256, (h, w, 3), dtype=np.uint8)
    lo = rng.random((k + 1, h, w)).astype(np.float32)
    hi = rng.random((k + 1, h, w)).astype(np.float32)
    hi[0] *= 2  # more background at the high power
    return image, lo / lo.sum(0), hi / hi.sum(0)


def test_psa_affinity_labels_composes_the_steps():
    image, lo, hi = random_case()
    box = dict(container=(3, 0), image=(0, 1))
    out = psa_affinity_labels(image, lo, hi, crop=box, flip=True,
                              crop_size=16, stride=2, radius=3)
    crop = np.zeros((16, 16, 3), np.uint8)
    crop[3:16, :16] = image[:, 1:17]
    assert np.array_equal(out['img'], crop[:, ::-1])
    scores = np.zeros((6, 16, 16), np.float32)
    scores[:, 3:16] = np.concatenate([lo, hi])[:, :, 1:17]
    assert np.array_equal(out['scores'], scores[:, :, ::-1])
    assert np.allclose(out['pooled'],
                       scores[:, :, ::-1].reshape(6, 8, 2, 8, 2).mean((2, 4)))
    # the top rows of the container are padding: no score -> 255
    assert out['no_score'][0].all() and (out['label'][0] == 255).all()
    assert not out['no_score'][2:].any()
    parts = crf_affinity_label(out['pooled'])
    assert np.array_equal(out['label'], parts['label'])
    ref = loop_pair_labels(out['label'], 3)
    assert np.array_equal(np.stack([out['bg_pos'], out['fg_pos'],
                                    out['neg']]), ref)
    assert out['radius'] == 3 and out['crop']['extent'] == (13, 16)
    # AEFT's rule on the 8 x 8 grid: radius 3 from radius 5
    assert psa_affinity_labels(image, lo, hi, crop=box, crop_size=16,
                               stride=2, radius_rule='aeft')['radius'] == 3
    with pytest.raises(ValueError, match='does not fit'):
        psa_affinity_labels(image, lo, hi, crop=dict(container=(4, 0),
                                                     image=(0, 1)),
                            crop_size=16, stride=2, radius=3)


def write_scores(path, lo, hi, keys=(3, 7)):
    np.savez(path, keys=np.asarray(keys, np.int64), scores_lo=lo,
             scores_hi=hi)


def pipeline(**label_kwargs):
    return Compose([
        dict(type='LoadCRFScorePair'),
        dict(type='PSARandomCrop', crop_size=16),
        dict(type='JointRandomFlip', prob=0.5),
        dict(type='CRFAffinityLabel', stride=2, **label_kwargs),
        dict(type='PackAffinityInputs'),
    ])


@pytest.mark.parametrize('flip', [False, True])
def test_transforms_match_the_function(tmp_path, flip):
    image, lo, hi = random_case(seed=1)
    path = str(tmp_path / 'a.npz')
    write_scores(path, lo, hi)
    box = dict(container=(3, 0), image=(0, 4))
    packed = pipeline(radius=3)(
        dict(img=image, aff_label_path=path, img_path='x.jpg', img_id='x',
             psa_crop_box=box, psa_flip=flip))
    ref = psa_affinity_labels(image, lo, hi, crop=box, flip=flip,
                              crop_size=16, stride=2, radius=3)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 16, 16)
    assert np.array_equal(inputs.permute(1, 2, 0).numpy(), ref['img'])
    for key in ('bg_pos', 'fg_pos', 'neg'):
        assert sample.get(key).dtype == torch.float32
        assert np.array_equal(sample.get(key).numpy(), ref[key])
    assert sample.img_id == 'x' and sample.img_path == 'x.jpg'
    assert sample.flip == flip and sample.aff_radius == 3


def test_random_draws_use_python_random(tmp_path):
    image, lo, hi = random_case(h=20, w=10, seed=2)
    path = str(tmp_path / 'a.npz')
    write_scores(path, lo, hi)
    random.seed(11)
    packed = pipeline(radius=3, radius_rule='aeft')(
        dict(img=image, aff_label_path=path))
    random.seed(11)
    box = psa_crop_box((20, 10), 16)
    flip = bool(random.getrandbits(1))
    ref = psa_affinity_labels(image, lo, hi, crop=box, flip=flip,
                              crop_size=16, stride=2, radius=3,
                              radius_rule='aeft')
    assert packed['data_samples'].psa_crop_box == box
    assert np.array_equal(packed['inputs'].permute(1, 2, 0).numpy(),
                          ref['img'])
    assert np.array_equal(packed['data_samples'].neg.numpy(), ref['neg'])


def test_load_crf_score_pair(tmp_path):
    _, lo, hi = random_case(k=2)
    path = str(tmp_path / 'a.npz')
    write_scores(path, lo, hi)
    load = Compose([dict(type='LoadCRFScorePair')])
    out = load(dict(aff_label_path=path))
    assert out['crf_scores'].dtype == np.float32
    assert np.array_equal(out['crf_scores'], np.concatenate([lo, hi]))
    assert out['crf_keys'].tolist() == [3, 7]
    with pytest.raises(MissingInputError, match='affinity-label stage'):
        load(dict(aff_label_path=str(tmp_path / 'none.npz')))
    with pytest.raises(InvalidInputError, match='image'):
        load(dict(aff_label_path=path, img=np.zeros((5, 5, 3), np.uint8)))
    write_scores(path, lo, hi, keys=(1, ))
    with pytest.raises(InvalidInputError, match='K = 1 keys'):
        load(dict(aff_label_path=path))
    np.savez(path, keys=np.zeros(0, np.int64))
    with pytest.raises(InvalidInputError, match='scores_lo'):
        load(dict(aff_label_path=path))


def test_pack_keeps_float_images_and_flip_probability():
    pack = Compose([dict(type='PackAffinityInputs')])
    img = np.random.rand(4, 6, 3).astype(np.float32)
    out = pack(dict(img=img, bg_pos=np.ones((2, 3), np.float64)))
    assert out['inputs'].dtype == torch.float32
    assert torch.equal(out['inputs'], torch.from_numpy(img).permute(2, 0, 1))
    assert out['data_samples'].bg_pos.dtype == torch.float32
    assert 'fg_pos' not in out['data_samples']
    never = Compose([dict(type='JointRandomFlip', prob=0.0)])
    always = Compose([dict(type='JointRandomFlip', prob=1.0)])
    maps = np.arange(12.).reshape(1, 3, 4)
    assert not never(dict(img=img[:3, :4], crf_scores=maps))['flip']
    out = always(dict(img=img[:3, :4], crf_scores=maps))
    assert np.array_equal(out['crf_scores'], maps[..., ::-1])
    assert np.array_equal(out['img'], img[:3, :4][:, ::-1])
