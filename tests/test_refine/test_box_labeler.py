"""BANA stage 2 (Oh et al., CVPR 2021): upsampled-feature statistics, the
unaries, Y_crf, Y_ret and the generator."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.refine import BoxPseudoLabelGenerator, UpsampledFeatures
from mmwsss.refine.box_labeler.functional import (
    background_unary,
    box_fill_labels,
    box_pixel_coords,
    box_unary_probs,
    class_box_masks,
    crf_box_labels,
    foreground_unaries,
    retrieval_labels,
)
from mmwsss.refine.box_labeler.upsampled_features import align_corners_matrix
from mmwsss.utils import InvalidInputError


def upsample(feats, size):
    return F.interpolate(
        feats[None], size=size, mode='bilinear', align_corners=True)[0]


@pytest.mark.parametrize('shape,size', [((5, 6, 4), (23, 17)),
                                        ((3, 1, 5), (4, 19)),
                                        ((4, 7, 1), (13, 1)),
                                        ((2, 3, 3), (3, 3))])
def test_upsampled_features_match_materialised(shape, size):
    torch.manual_seed(0)
    feats = torch.randn(*shape, dtype=torch.float64)
    up = UpsampledFeatures(feats, size)
    dense = upsample(feats, size)
    queries = torch.randn(3, shape[0], dtype=torch.float64)
    mask = torch.rand(size) > 0.4
    torch.testing.assert_close(
        align_corners_matrix(size[0], shape[1], torch.float64) @ feats[0] @
        align_corners_matrix(size[1], shape[2], torch.float64).t(), dense[0])
    torch.testing.assert_close(up.linear(queries),
                               torch.einsum('jk,khw->jhw', queries, dense))
    torch.testing.assert_close(up.norm(), dense.norm(dim=0))
    torch.testing.assert_close(up.masked_sum(mask),
                               (dense * mask).sum(dim=(1, 2)))
    cos = torch.einsum('jk,khw->jhw', F.normalize(queries, dim=1),
                       F.normalize(dense, dim=0))
    torch.testing.assert_close(up.cosine(queries), cos)


def test_box_pixel_coords_float32_round_trip():
    # the official float32 round trip turns 1 of 48, 11 of 500 and 18
    # of 375 integer coordinates into value - 1
    for length, expected in ((48, 1), (500, 11), (375, 18)):
        values = np.arange(length, dtype=np.float32)
        boxes = np.stack([values, values, values, values], axis=1)
        coords = box_pixel_coords(boxes, (length, length))
        assert np.count_nonzero(coords[:, 0] != values) == expected
        assert np.all((coords[:, 0] == values) | (coords[:, 0] == values - 1))
        plain = box_pixel_coords(boxes, (length, length), False)
        np.testing.assert_array_equal(plain[:, 0], values)
    clipped = box_pixel_coords(np.array([[-3, 2, 70, 9]]), (10, 50), False)
    np.testing.assert_array_equal(clipped, [[0, 2, 50, 9]])


def test_box_fill_labels_smaller_box_on_top():
    coords = np.array([[0, 0, 6, 6], [2, 2, 4, 4]])
    out = box_fill_labels(coords, np.array([1, 4]), (8, 8))
    assert out[0, 0] == 2 and out[3, 3] == 5 and out[7, 7] == 0
    out = box_fill_labels(coords[::-1], np.array([4, 1]), (8, 8))
    assert out[3, 3] == 5


def two_region_feats(size=12):
    """Features (3, s, s): background pixels e0; an object square
    [4, 8)² with e1; the rest of its box [2, 10)² a 0.8/0.6 mix."""
    feats = torch.zeros(3, size, size, dtype=torch.float64)
    feats[0] = 1
    feats[:, 2:10, 2:10] = torch.tensor([0.8, 0.6, 0.0])[:, None, None]
    feats[:, 4:8, 4:8] = torch.tensor([0.0, 1.0, 0.0])[:, None, None]
    return feats


def test_background_unary_threshold_and_guard():
    feats = two_region_feats()
    up = UpsampledFeatures(feats, (12, 12))
    bg = torch.ones(12, 12, dtype=torch.bool)
    bg[2:10, 2:10] = False
    paper = background_unary(up, bg, bg_threshold=0)
    assert torch.all(paper[bg] == 1)
    # A = ReLU(cos) with the background query e0: 0.8 in the ring, 0 on
    # the object
    torch.testing.assert_close(paper[2, 2], torch.tensor(0.8).double())
    torch.testing.assert_close(paper[5, 5], torch.tensor(0.0).double())
    # 0.99 · max A (max = 1 on the background) zeroes everything inside
    official = background_unary(up, bg)
    assert torch.all(official[~bg] == 0) and torch.all(official[bg] == 1)
    # grid N = 2: four cells, each with its own background query; the
    # same features give the same A
    torch.testing.assert_close(
        background_unary(up, bg, grid_size=2, bg_threshold=0), paper)
    # boxes covering the image: no query, u_0 = 0 instead of the official NaN
    none = background_unary(up, torch.zeros(12, 12, dtype=torch.bool))
    assert torch.all(none == 0)


def test_foreground_unaries_per_box_max_and_overlap():
    feats = torch.zeros(2, 6, 8, dtype=torch.float64)
    feats[0] = torch.arange(48, dtype=torch.float64).reshape(6, 8)
    up = UpsampledFeatures(feats, (6, 8))
    weight = torch.tensor([[0.0, 1.0], [1.0, 0.0], [-1.0, 0.0]],
                          dtype=torch.float64)  # bg, class 0, class 1
    coords = np.array([[0, 0, 3, 3], [2, 2, 6, 5], [5, 0, 8, 2]])
    labels = np.array([0, 0, 1])
    classes, u = foreground_unaries(up, weight, coords, labels)
    np.testing.assert_array_equal(classes, [0, 1])
    # box 2 (later) overwrites the overlap (rows 2, cols 2) with its own
    # normalisation by the max in [2:5, 2:6] = 37
    torch.testing.assert_close(u[0, 2, 2], torch.tensor(18 / 37).double())
    torch.testing.assert_close(u[0, 1, 1], torch.tensor(9 / 18).double())
    assert u[0, 0:3, 0:3].max() <= 1 and u[0, 5, 7] == 0
    assert torch.all(u[1] == 0)  # CAM of class 1 is ReLU(-x) = 0


def test_box_unary_probs_softmax_only_inside():
    u0 = torch.tensor([[1.0, 0.0]])
    u_fg = torch.tensor([[[0.0, 0.0]], [[0.0, 1.0]]])
    inside = torch.tensor([[False, True]])
    probs = box_unary_probs(u0, u_fg, inside)
    torch.testing.assert_close(probs[:, 0, 0], torch.tensor([1.0, 0, 0]))
    expected = torch.tensor([0.0, 0.0, 1.0]).softmax(0)
    torch.testing.assert_close(probs[:, 0, 1], expected)


def test_crf_box_labels_masks_channels_to_their_boxes():
    probs = np.zeros((3, 2, 4), np.float32)
    probs[0] = 0.2
    probs[1] = 0.9  # class 3 is likeliest everywhere...
    probs[2, :, 2:] = 0.5
    masks = class_box_masks(
        np.array([[0, 0, 2, 2], [1, 0, 4, 2]]), np.array([3, 5]), [3, 5],
        (2, 4))
    y = crf_box_labels(probs, masks, [3, 5])
    # ...but only inside its box [0, 2); class 5 wins in [2, 4)
    np.testing.assert_array_equal(y, [[4, 4, 6, 6], [4, 4, 6, 6]])
    assert y.dtype == np.uint8


def test_retrieval_labels_prototypes_fallback_and_ties():
    feats = two_region_feats()
    up = UpsampledFeatures(feats, (12, 12))
    # rows: background, class 0, class 1 (the object's feature e1)
    weight = torch.tensor([[1.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]],
                          dtype=torch.float64)
    coords = np.array([[2, 2, 10, 10]])
    masks = class_box_masks(coords, np.array([1]), [1], (12, 12))
    inside = masks[0]
    y_crf = np.zeros((12, 12), np.uint8)
    y_crf[4:8, 4:8] = 2
    y_ret = retrieval_labels(up, y_crf, weight, [1], masks, inside)
    assert np.all(y_ret[~inside.numpy()] == 0)
    assert np.all(y_ret[4:8, 4:8] == 2)
    # ring pixels: cos to the background prototype e0 is 0.8 > 0.6
    assert np.all(y_ret[2, 2:10] == 0)
    # no Y_crf pixel of the class: its classifier weight is the prototype
    y_ret = retrieval_labels(up, np.zeros_like(y_crf), weight, [1], masks,
                             inside)
    assert np.all(y_ret[4:8, 4:8] == 2)
    # a tie goes to background: zero features give C = 0 for all labels
    zero = UpsampledFeatures(torch.zeros(3, 4, 4, dtype=torch.float64),
                             (4, 4))
    full = torch.ones(1, 4, 4, dtype=torch.bool)
    y_ret = retrieval_labels(zero, np.zeros((4, 4), np.uint8), weight, [1],
                             full, full[0])
    assert np.all(y_ret == 0)


def reference_unaries(feats, weight, coords, labels, bg, threshold):
    """A direct transcription of u_0, u_c and the box softmax on materialised
    features."""
    dense = upsample(feats, bg.shape)
    q = dense[:, bg].mean(dim=1)
    att = torch.einsum('k,khw->hw', F.normalize(q, dim=0),
                       F.normalize(dense, dim=0)).relu()
    att[att < threshold * att.max()] = 0
    u0 = torch.where(bg, torch.ones_like(att), att)
    classes = sorted(set(labels.tolist()))
    cams = torch.einsum('ck,khw->chw', weight[[c + 1 for c in classes]],
                        dense).relu()
    u = torch.zeros_like(cams)
    for (x0, y0, x1, y1), label in zip(coords, labels):
        k = classes.index(label)
        region = cams[k, y0:y1, x0:x1]
        u[k, y0:y1, x0:x1] = region / (region.max() + 1e-12)
    stack = torch.cat((u0[None], u))
    return torch.where(~bg[None], stack.softmax(0), stack)


@pytest.mark.parametrize('threshold', [0.99, 0.0])
def test_unaries_match_a_direct_transcription(threshold):
    torch.manual_seed(1)
    feats = torch.randn(16, 6, 6, dtype=torch.float64)
    weight = torch.randn(21, 16, dtype=torch.float64)
    coords = np.array([[3, 4, 20, 25], [10, 10, 30, 28], [0, 0, 9, 9]])
    labels = np.array([7, 14, 7])
    bg = torch.ones(30, 40, dtype=torch.bool)
    for x0, y0, x1, y1 in coords:
        bg[y0:y1, x0:x1] = False
    up = UpsampledFeatures(feats, (30, 40))
    u0 = background_unary(up, bg, bg_threshold=threshold)
    classes, u = foreground_unaries(up, weight, coords, labels)
    probs = box_unary_probs(u0, u, ~bg)
    expected = reference_unaries(feats, weight, coords, labels, bg,
                                 threshold)
    torch.testing.assert_close(probs, expected)


def synthetic_scene(size=48):
    """An image and features where a disc fills part of its box."""
    yy, xx = np.mgrid[:size, :size]
    disc = (yy - 24)**2 + (xx - 22)**2 < 11**2
    image = np.full((size, size, 3), 60, np.uint8)
    image[disc] = (220, 40, 40)
    feats = torch.zeros(4, size // 4, size // 4)
    small = torch.as_tensor(disc[2::4, 2::4])
    feats[0] = 1.0
    feats[0][small] = 0.1
    feats[1][small] = 1.0
    feats += 0.05 * torch.randn(feats.shape, generator=torch.Generator()
                                .manual_seed(0))
    weight = torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 0], [0, 1.0, 0, 0]])
    boxes = np.array([[8.0, 10.0, 37.0, 38.0]])
    labels = np.array([1])
    bg_mask = np.ones((size, size), np.uint8)
    bg_mask[10:38, 8:37] = 0
    return image, feats, weight, boxes, labels, bg_mask, disc


def iou(pred, gt):
    return (pred & gt).sum() / (pred | gt).sum()


def test_generator_beats_box_fill_on_a_synthetic_scene():
    image, feats, weight, boxes, labels, bg_mask, disc = synthetic_scene()
    out = BoxPseudoLabelGenerator()(image, feats, weight, boxes, labels,
                                    bg_mask)
    y_crf, y_ret = out['y_crf'], out['y_ret']
    assert y_crf.shape == disc.shape and y_crf.dtype == np.uint8
    assert set(np.unique(y_crf)) <= {0, 2} and set(np.unique(y_ret)) <= {0, 2}
    assert np.all(y_crf[bg_mask == 1] == 0)
    fill = box_fill_labels(box_pixel_coords(boxes, disc.shape), labels,
                           disc.shape)
    assert iou(y_crf == 2, disc) > 0.85 > iou(fill == 2, disc) + 0.2
    assert iou(y_ret == 2, disc) > 0.7
    assert set(out['seconds']) == {'unaries', 'crf', 'retrieval'}
    # the "without u_0" ablation runs and differs only inside the box
    plain = BoxPseudoLabelGenerator(use_bg_unary=False)(
        image, feats, weight, boxes, labels, bg_mask)
    assert np.all(plain['y_crf'][bg_mask == 1] == 0)


def test_generator_bad_inputs_and_full_image_box():
    image, feats, weight, boxes, labels, bg_mask, _ = synthetic_scene()
    generator = BoxPseudoLabelGenerator()
    with pytest.raises(InvalidInputError, match='img7.jpg has no boxes'):
        generator(image, feats, weight, boxes[:0], labels[:0], bg_mask,
                  name='img7.jpg')
    with pytest.raises(InvalidInputError, match='does not match'):
        generator(image, feats, weight, boxes, labels, bg_mask[:-1])
    # one box over the whole image: no background query, no NaN
    full = np.zeros_like(bg_mask)
    out = generator(image, feats, weight, np.array([[0.0, 0, 48, 48]]),
                    labels, full)
    assert set(np.unique(out['y_crf'])) <= {0, 2}
    assert np.count_nonzero(out['y_crf'] == 2) > 0
    with pytest.raises(ValueError, match='bg_threshold'):
        BoxPseudoLabelGenerator(bg_threshold=1.5)
