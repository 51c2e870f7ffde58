"""BAPHead and its tensor functions (BANA stage 1, CVPR 2021)."""
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.utils.bap_pooling import (
    background_attention,
    bap_pool_boxes,
    bap_sample_set,
    bin_pool,
    bin_windows,
    grid_bg_queries,
    roi_sample,
)
from mmwsss.ops import grid_padding, normalize_boxes
from mmwsss.registry import MODELS


def build_head(**kwargs):
    cfg = dict(type='BAPHead', num_classes=6, in_channels=8)
    cfg.update(kwargs)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


@pytest.mark.parametrize('size,grid,expected', [(41, 4, (0, 3)),
                                                (42, 4, (1, 1)),
                                                (44, 4, (0, 0)),
                                                (6, 4, (1, 1)),
                                                (5, 2, (0, 1)),
                                                (7, 1, (0, 0))])
def test_grid_padding(size, grid, expected):
    assert grid_padding(size, grid) == expected


def test_grid_queries_odd_padding_goes_to_the_end():
    # 6 x 5 map, N = 2: rows need no pad, columns one pad at the right, so
    # the cells are rows {0-2, 3-5} x columns {0-2, 3-4 + pad}
    feats = torch.arange(30, dtype=torch.float32).reshape(1, 1, 6, 5)
    mask = torch.zeros(1, 6, 5)
    mask[0, 0:3, 4] = 1  # background only in cell 1 (top right)
    queries, valid = grid_bg_queries(feats, mask, grid_size=2)
    assert queries.shape == (1, 4, 1)
    assert valid.tolist() == [[False, True, False, False]]
    # mean of f at (0,4), (1,4), (2,4) = (4 + 9 + 14) / 3
    assert queries[0, 1, 0].item() == pytest.approx(9.0)
    assert queries[0, [0, 2, 3], 0].abs().max() == 0

    # an all-background mask: the padded column does not count, so the
    # right cells average 6 real pixels (columns 3-4)
    queries, valid = grid_bg_queries(feats, torch.ones(1, 6, 5), 2)
    assert valid.all()
    right_top = feats[0, 0, 0:3, 3:5].mean()
    assert queries[0, 1, 0].item() == pytest.approx(right_top.item())


def test_grid_queries_even_padding_is_split():
    # 6 rows, N = 4: P = 2 -> one zero row on top and one at the bottom;
    # cell rows are {pad, 0}, {1, 2}, {3, 4}, {5, pad}
    feats = torch.randn(1, 3, 6, 4)
    mask = torch.zeros(1, 6, 4)
    mask[0, 0] = 1
    mask[0, 5] = 1
    queries, valid = grid_bg_queries(feats, mask, grid_size=4)
    grid = valid.reshape(4, 4)
    assert grid[0].all() and grid[3].all() and not grid[1:3].any()
    # cell (0, j) holds only pixel (0, j); cell (3, j) only (5, j)
    assert torch.allclose(queries[0, 0:4], feats[0, :, 0].t())
    assert torch.allclose(queries[0, 12:16], feats[0, :, 5].t())


def test_grid_queries_resize_mask_nearest():
    feats = torch.randn(2, 4, 4, 4)
    mask = torch.zeros(2, 16, 16)
    mask[0, 0, 0] = 1  # nearest keeps source pixel (0, 0) -> cell 0
    mask[1, 1::2, 1::2] = 1  # nearest samples even rows/cols: lost
    queries, valid = grid_bg_queries(feats, mask, grid_size=2)
    assert valid[0].tolist() == [True, False, False, False]
    assert not valid[1].any()
    assert torch.allclose(queries[0, 0], feats[0, :, 0, 0])


def test_normalize_boxes_align_corners():
    boxes = torch.tensor([[0., 0., 320., 160.]])
    out = normalize_boxes(boxes, (321, 321))
    assert out.dtype == torch.float32
    assert out.tolist() == [[-1.0, -1.0, 1.0, 0.0]]


def test_roi_sample_on_linear_map():
    # a 9 x 9 map with f0 = x, f1 = y. Box x_n, y_n in [-0.75, 0]: feature
    # coordinates 1 .. 4 -> 3 samples per axis at x_n = -0.75, -0.375, 0,
    # read with align_corners=False at pixel ((x_n + 1) * 9 - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(9.), torch.arange(9.),
                            indexing='ij')
    feat = torch.stack([xs, ys])
    roi = roi_sample(feat, (-0.75, -0.75, 0.0, 0.0))
    pos = torch.tensor([0.625, 2.3125, 4.0])
    assert roi.shape == (2, 3, 3)
    assert torch.allclose(roi[0], pos.expand(3, 3))
    assert torch.allclose(roi[1], pos[:, None].expand(3, 3))
    # the align-corners variant reads pixel (x_n + 1) * 4
    roi = roi_sample(feat, (-0.75, -0.75, 0.0, 0.0), align_corners=True)
    assert torch.allclose(roi[0, 0], torch.tensor([1.0, 2.5, 4.0]))


def test_bin_windows():
    assert bin_windows(2, 2).tolist() == [[1, 0], [0, 1]]
    # odd length: windows [0, 2) and [1, 3) overlap by one
    assert bin_windows(3, 2).tolist() == [[1, 1, 0], [0, 1, 1]]
    assert bin_windows(4, 2).tolist() == [[1, 1, 0, 0], [0, 0, 1, 1]]
    assert bin_windows(5, 2).tolist() == [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1]]
    assert bin_windows(1, 2).tolist() == [[1], [1]]  # replicated
    assert bin_windows(3, 1).tolist() == [[1, 1, 1]]


def test_bin_pool_hand_built():
    # 1-channel 3 x 3 RoI, weights zero on the centre column
    roi = torch.arange(9.).reshape(1, 3, 3)
    weight = torch.tensor([[1., 0., 1.], [1., 0., 1.], [1., 0., 1.]])
    pooled = bin_pool(roi, weight, 2, eps=0)
    # bin (0, 0): rows 0-1, cols 0-1, weighted -> values 0, 3 -> 1.5
    # bin (0, 1): rows 0-1, cols 1-2 -> values 2, 5 -> 3.5
    # bin (1, 0): rows 1-2, cols 0-1 -> 3, 6 -> 4.5; bin (1, 1): 5, 8
    assert pooled[:, 0].tolist() == [1.5, 3.5, 4.5, 6.5]
    # roi_size=1: one feature per box (the paper's r_i)
    assert bin_pool(roi, weight, 1, eps=0)[:, 0].tolist() == [4.0]


def test_bap_pool_on_linear_map_gap():
    ys, xs = torch.meshgrid(torch.arange(9.), torch.arange(9.),
                            indexing='ij')
    feat = torch.stack([xs, ys])
    boxes = torch.tensor([[-0.75, -0.75, 0.0, 0.0]])
    pooled, att = bap_pool_boxes(feat, boxes, None, roi_size=2)
    low, high = (0.625 + 2.3125) / 2, (2.3125 + 4.0) / 2
    assert pooled.shape == (1, 4, 2)
    assert torch.allclose(pooled[0, :, 0],
                          torch.tensor([low, high, low, high]))
    assert torch.allclose(pooled[0, :, 1],
                          torch.tensor([low, low, high, high]))
    assert att[0].abs().max() == 0  # GAP: A = 0


def test_background_attention_values_and_weights():
    queries = torch.tensor([[1., 0.], [0., 1.]])
    feats = torch.tensor([[1., -1., 1.], [1., 0., 0.]]).reshape(2, 1, 3)
    att = background_attention(feats, queries)
    # (1, 1): cos 0.707 to both; (-1, 0): cos -1, 0 -> 0; (1, 0): 1, 0
    assert torch.allclose(att[0], torch.tensor([2**-0.5, 0.0, 0.5]))
    assert (att >= 0).all() and (att <= 1).all()
    # no query: A = 0 (GAP), not the NaN of an empty mean
    assert background_attention(feats, queries[:0]).abs().max() == 0


def test_bap_weights_are_normalised():
    # per bin, the pooling weights (1 - A) / Σ(1 - A) sum to 1, so a
    # constant RoI pools to itself whatever the attention
    torch.manual_seed(0)
    feat = torch.randn(4, 8, 8)
    queries = torch.randn(3, 4)
    # inside the map: no zero padding is sampled
    boxes = torch.tensor([[-0.8, -0.6, 0.5, 0.7]])
    roi = roi_sample(feat, boxes[0].tolist())
    weight = 1 - background_attention(roi, queries)
    for window_r in bin_windows(roi.shape[1], 2):
        for window_c in bin_windows(roi.shape[2], 2):
            w = weight * window_r[:, None] * window_c[None]
            assert (w / w.sum()).sum().item() == pytest.approx(1.0)
    const = torch.full((4, 8, 8), 3.0)
    pooled, att = bap_pool_boxes(const, boxes, queries)
    assert torch.allclose(pooled, torch.full_like(pooled, 3.0))
    assert 0 <= att[0].min() and att[0].max() <= 1
    # with attention the pooled features differ from GAP's
    bap, _ = bap_pool_boxes(feat, boxes, queries)
    gap, _ = bap_pool_boxes(feat, boxes, None)
    assert not torch.allclose(bap, gap)


def test_zero_width_box():
    feat = torch.randn(3, 6, 6)
    boxes = torch.tensor([[0.2, -0.5, 0.2, 0.5]])  # x0 == x1
    pooled, att = bap_pool_boxes(feat, boxes, torch.randn(2, 3))
    assert pooled.shape == (1, 4, 3)
    assert torch.isfinite(pooled).all()
    assert att[0].shape[1] == 1
    # the single column is replicated: left and right bins agree
    assert torch.allclose(pooled[0, 0], pooled[0, 1])
    assert torch.allclose(pooled[0, 2], pooled[0, 3])


def test_sample_set_targets_and_ce():
    torch.manual_seed(0)
    box_feats = torch.randn(2, 4, 5)
    queries = torch.randn(3, 5)
    weight = torch.randn(7, 5)
    logits, targets, loss = bap_sample_set(box_feats, torch.tensor([3, 1]),
                                           queries, weight)
    assert targets.tolist() == [3] * 4 + [1] * 4 + [0] * 3
    samples = torch.cat([box_feats.reshape(8, 5), queries])
    assert torch.allclose(logits, samples @ weight.t())
    assert torch.allclose(loss, F.cross_entropy(logits, targets))
    # the conv weight shape is accepted too
    _, _, loss4d = bap_sample_set(box_feats, torch.tensor([3, 1]), queries,
                                  weight[..., None, None])
    assert torch.allclose(loss, loss4d)
    # nothing to classify: zero, no NaN
    _, _, empty = bap_sample_set(box_feats[:0], torch.tensor([]),
                                 queries[:0], weight)
    assert empty.item() == 0


def make_batch():
    feats = torch.randn(2, 8, 9, 9, requires_grad=True)
    masks = torch.ones(2, 72, 72, dtype=torch.uint8)
    boxes = [
        torch.tensor([[8., 8., 40., 48.], [50., 10., 70., 30.]]),
        torch.tensor([[0., 0., 72., 72.]])
    ]
    masks[0, 8:48, 8:40] = 0
    masks[0, 10:30, 50:70] = 0
    masks[1] = 0  # the box covers the whole image
    labels = [torch.tensor([0, 3]), torch.tensor([5])]
    return feats, boxes, labels, masks


def test_head_outputs_loss_and_no_nan_when_boxes_cover_the_image():
    torch.manual_seed(0)
    head = build_head()
    assert head.weight.shape == (7, 8)
    feats, boxes, labels, masks = make_batch()
    out = head.forward_train((feats, ), boxes, labels, masks)
    assert out['use_attention'].tolist() == [True, False]
    assert out['valid_bg'].tolist() == [True, False]
    assert out['box_classes'].tolist() == [1, 4, 6]  # background = 0
    assert out['box_img_idx'].tolist() == [0, 0, 1]
    assert out['box_feats'].shape == (3, 4, 8)
    num_queries = int(out['bg_valid'][0].sum())
    assert out['bg_valid'][1].sum() == 0
    assert out['sample_targets'].tolist() == ([1] * 4 + [4] * 4 + [6] * 4 +
                                              [0] * num_queries)
    assert out['cams'].shape == (2, 6, 9, 9)
    assert out['logits'].shape == (2, 6)
    losses = head.loss(out)
    assert set(losses) == {'loss_bap'}
    assert torch.allclose(
        losses['loss_bap'],
        F.cross_entropy(out['sample_logits'], out['sample_targets']))
    losses['loss_bap'].backward()
    assert torch.isfinite(feats.grad).all() and feats.grad.abs().sum() > 0
    assert torch.isfinite(head.classifier.weight.grad).all()


def test_gap_fallback_trigger():
    torch.manual_seed(0)
    head = build_head()
    feats = torch.randn(3, 8, 8, 8)
    masks = torch.zeros(3, 64, 64)
    masks[0, :8, :] = 1  # exactly 12.5% background: GAP (needs > 0.125)
    masks[1, :9, :] = 1  # 14.1%: BAP
    masks[2, 1::2, 1::2] = 1  # 25%, but no pixel survives the resize
    boxes = [torch.tensor([[8., 16., 40., 60.]])] * 3
    labels = [torch.tensor([2])] * 3
    out = head.forward_train(feats, boxes, labels, masks)
    assert out['valid_bg'].tolist() == [False, True, True]
    assert out['use_attention'].tolist() == [False, True, False]
    gap = [
        bap_pool_boxes(feats[i], normalize_boxes(boxes[i], (64, 64)))[0]
        for i in range(3)
    ]
    assert torch.allclose(out['box_feats'][0], gap[0][0])
    assert not torch.allclose(out['box_feats'][1], gap[1][0])
    assert torch.allclose(out['box_feats'][2], gap[2][0])
    # fallback images still give their valid queries as background samples
    num_bg = int(out['bg_valid'][:2].sum())
    assert (out['sample_targets'] == 0).sum() == num_bg
    head.fallback_queries = False
    out = head.forward_train(feats, boxes, labels, masks)
    assert (out['sample_targets'] == 0).sum() == out['bg_valid'][1].sum()
    # use_bap=False: the GAP baseline everywhere
    head = build_head(use_bap=False)
    out = head.forward_train(feats, boxes, labels, masks)
    assert not out['use_attention'].any()


def test_roi_size_one_and_class_maps():
    head = build_head(roi_size=1, grid_size=2)
    feats, boxes, labels, masks = make_batch()
    out = head.forward_train(feats, boxes, labels, masks)
    assert out['box_feats'].shape == (3, 1, 8)
    maps = head.score_maps(feats)
    assert maps.shape == (2, 7, 9, 9)
    assert torch.allclose(head.class_maps(feats), maps[:, 1:])
    w = head.weight
    assert torch.allclose(maps[0, :, 2, 3], w @ feats[0, :, 2, 3], atol=1e-6)
    assert torch.allclose(head(feats), maps[:, 1:].mean(dim=(2, 3)))


def test_empty_batch_loss_is_zero():
    head = build_head(fallback_queries=False)
    feats = torch.randn(1, 8, 4, 4, requires_grad=True)
    out = head.forward_train(feats, [torch.zeros(0, 4)],
                             [torch.zeros(0, dtype=torch.long)],
                             torch.zeros(1, 32, 32))
    loss = head.loss(out)['loss_bap']
    assert loss.item() == 0
    loss.backward()


def test_bad_args():
    with pytest.raises(ValueError):
        build_head(num_classes=0)
    with pytest.raises(ValueError):
        build_head(grid_size=0)
    with pytest.raises(ValueError):
        build_head(valid_bg_ratio=1.0)
    head = build_head()
    feats, boxes, labels, masks = make_batch()
    with pytest.raises(ValueError):
        head.forward_train(feats, boxes[:1], labels, masks)
