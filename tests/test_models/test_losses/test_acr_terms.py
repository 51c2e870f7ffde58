"""ACR's pure loss pieces on hand-built cases: the min-max normaliser N,
the target CAM, target-class sampling, SRF grids and the masked L1."""
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.losses.acr_terms import (
    masked_l1,
    sample_srf_cells,
    sample_target_classes,
    srf_hidden_map,
    srf_keep_probability,
    target_cam,
)
from mmwsss.models.utils import minmax_normalize

EPS = 1e-5


def test_normaliser_hand_case():
    cam = torch.tensor([[[[-1.0, 1.0], [2.0, 5.0]]]], dtype=torch.float64)
    # c+ = (0, 1, 2, 5); min 0, max 5
    expected = torch.tensor([[[[0.0, 1 - EPS], [2 - EPS, 5 - EPS]]]],
                            dtype=torch.float64) / (5 + EPS)
    out = minmax_normalize(cam)
    assert torch.allclose(out, expected, rtol=0, atol=1e-15)
    assert out[0, 0, 0, 0].item() == 0.0  # exact zero at the minimum
    # positive minimum: subtracted, so the minimum is an exact zero too
    out = minmax_normalize(torch.tensor([[[[3.0, 4.0]]]]))
    assert out[0, 0, 0, 0].item() == 0.0


def logits_and_labels():
    cam = torch.tensor([
        [[[1.0, 2.0], [3.0, 4.0]], [[0.0, 8.0], [-2.0, 4.0]],
         [[5.0, 5.0], [5.0, 6.0]]],
        [[[9.0, 0.0], [0.0, 0.0]], [[1.0, 3.0], [2.0, -1.0]],
         [[2.0, 2.0], [1.0, 0.0]]],
    ], dtype=torch.float64)
    labels = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]],
                          dtype=torch.float64)
    onehot = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                          dtype=torch.float64)
    return cam, labels, onehot


def test_target_cam_picks_channel_at_cam_resolution():
    cam, labels, onehot = logits_and_labels()
    a_t = target_cam(cam, labels, onehot, (2, 2))
    assert a_t.shape == (2, 1, 2, 2)
    # image 0, class 1: c+ = (0, 8, 0, 4) -> (x − 0 − eps)+ / (8 + eps)
    exp0 = torch.tensor([[0.0, 8 - EPS], [0.0, 4 - EPS]]) / (8 + EPS)
    # image 1, class 2: c+ = (2, 2, 1, 0) -> min 0, max 2
    exp1 = torch.tensor([[2 - EPS, 2 - EPS], [1 - EPS, 0.0]]) / (2 + EPS)
    assert torch.allclose(a_t[0, 0], exp0.double(), atol=1e-12)
    assert torch.allclose(a_t[1, 0], exp1.double(), atol=1e-12)
    assert (a_t[0, 0][exp0 == 0] == 0).all()  # exact zeros


def test_target_cam_upsamples_after_normalising():
    cam = torch.tensor([[[[-4.0, 4.0]]]], dtype=torch.float64)
    labels = onehot = torch.ones(1, 1, dtype=torch.float64)
    a_t = target_cam(cam, labels, onehot, (1, 4))
    top = (4 - EPS) / (4 + EPS)
    # N first: (0, top); bilinear (align_corners=False) x2
    expected = torch.tensor([0.0, 0.25 * top, 0.75 * top, top])
    assert torch.allclose(a_t.flatten(), expected.double(), atol=1e-12)
    # upsampling first would give an exact 0 at the second pixel
    wrong = minmax_normalize(F.interpolate(cam, size=(1, 4),
                                           mode='bilinear'))
    assert wrong.flatten()[1] == 0 and a_t.flatten()[1] > 0.2


def test_target_cam_exact_zeros_survive_upsampling():
    cam = torch.zeros(1, 1, 4, 4)
    cam[0, 0, 0, 0] = 1.0  # only one positive pixel
    one = torch.ones(1, 1)
    a_t = target_cam(cam, one, one, (16, 16))
    assert (a_t[0, 0, 8:, 8:] == 0).all()  # far from the peak: exactly 0
    assert a_t[0, 0, 0, 0] > 0.9


def test_target_cam_is_differentiable_through_max_and_min():
    cam, labels, onehot = logits_and_labels()
    cam.requires_grad_(True)
    target_cam(cam, labels, onehot, (4, 4)).sum().backward()
    grad = cam.grad
    assert grad[0, 1].abs().sum() > 0 and grad[1, 2].abs().sum() > 0
    # non-target channels get nothing
    assert (grad[0, [0, 2]] == 0).all() and (grad[1, :2] == 0).all()


def test_target_cam_bad_targets():
    cam, labels, onehot = logits_and_labels()
    with pytest.raises(ValueError, match='exactly one 1'):
        target_cam(cam, labels, labels, (2, 2))
    bad = torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]],
                       dtype=torch.float64)
    with pytest.raises(ValueError, match='not among'):
        target_cam(cam, labels, bad, (2, 2))


def test_sample_target_classes():
    labels = torch.tensor([[1.0, 0.0, 1.0, 1.0]]).repeat(3000, 1)
    labels[0] = torch.tensor([0.0, 1.0, 0.0, 0.0])
    gen = torch.Generator().manual_seed(0)
    onehot = sample_target_classes(labels, generator=gen)
    assert onehot.dtype == labels.dtype and onehot.shape == labels.shape
    assert (onehot.sum(dim=1) == 1).all()
    assert ((onehot * labels).sum(dim=1) == 1).all()  # always positive
    assert onehot[0, 1] == 1
    freq = onehot[1:].mean(dim=0)
    assert freq[1] == 0
    assert torch.allclose(freq[[0, 2, 3]], torch.full((3, ), 1 / 3),
                          atol=0.04)
    again = sample_target_classes(labels,
                                  generator=torch.Generator().manual_seed(0))
    assert torch.equal(onehot, again)
    labels[5] = 0
    with pytest.raises(ValueError, match=r'images \[5\]'):
        sample_target_classes(labels)


def test_sample_srf_cells():
    gen = torch.Generator().manual_seed(0)
    cells = sample_srf_cells(400, 16, 0.8, 'cpu', generator=gen)
    assert cells.shape == (400, 1, 16, 16) and cells.dtype == torch.float32
    assert set(cells.unique().tolist()) == {0.0, 1.0}
    assert cells.mean().item() == pytest.approx(0.2, abs=0.01)  # 1 − q
    assert (sample_srf_cells(2, 4, 1.0) == 0).all()
    assert (sample_srf_cells(2, 4, 0.0) == 1).all()
    with pytest.raises(ValueError, match='in \\[0, 1\\]'):
        sample_srf_cells(2, 4, 1.2)
    with pytest.raises(ValueError, match='positive integer'):
        sample_srf_cells(2, 0, 0.5)


def test_srf_hidden_map_blocks_and_uneven_cells():
    grid = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    hidden = srf_hidden_map(grid, (4, 4))
    expected = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1],
                             [0, 0, 1, 1]], dtype=torch.float32)
    assert torch.equal(hidden[0, 0], expected)
    # s = 3 does not divide 8: pixel i takes cell floor(3 i / 8)
    cells = torch.arange(9.0).view(1, 1, 3, 3)
    hidden = srf_hidden_map(cells, (8, 5))
    rows = [0, 0, 0, 1, 1, 1, 2, 2]
    cols = [0, 0, 1, 1, 2]  # floor(3 j / 5)
    expected = torch.tensor([[3 * r + c for c in cols] for r in rows],
                            dtype=torch.float32)
    assert torch.equal(hidden[0, 0], expected)
    assert srf_hidden_map(grid.bool(), (4, 4)).dtype == torch.float32


def test_srf_keep_probability_schedule():
    assert srf_keep_probability(0) == pytest.approx(0.8)
    assert srf_keep_probability(1) == pytest.approx(0.79)
    assert srf_keep_probability(2) == pytest.approx(0.78)
    assert srf_keep_probability(39) == pytest.approx(0.41)
    assert srf_keep_probability(80) == 0.0
    assert srf_keep_probability(120) == 0.0
    assert srf_keep_probability(0, start=1.3) == 1.0
    assert srf_keep_probability(3, start=0.5, step=0.1) == pytest.approx(0.2)
    with pytest.raises(ValueError, match='epoch'):
        srf_keep_probability(-1)


def test_masked_l1_full_tensor_denominator():
    recon = torch.zeros(2, 3, 2, 2)
    img = torch.ones(2, 3, 2, 2)
    img[1] = 3.0
    weight = torch.zeros(2, 1, 2, 2)
    weight[0, 0, 0, 0] = 1.0  # one pixel of image 0
    weight[1, 0, 1, :] = 0.5  # two pixels of image 1, half weight
    # Σ|R − I|·W: image 0: 3 channels × 1 = 3; image 1: 3 × 2 × 3 × .5 = 9
    assert masked_l1(recon, img, weight).item() == pytest.approx(12 / 24)
    per = masked_l1(recon, img, weight, per_sample=True)
    assert torch.allclose(per, torch.tensor([3 / 12, 9 / 12]))
    # not normalised by the mask area: a full mask of ones is the plain L1
    full = masked_l1(recon, img, torch.ones(2, 1, 2, 2))
    assert full.item() == pytest.approx((img - recon).abs().mean().item())
    # a per-channel weight
    w3 = torch.zeros(2, 3, 2, 2)
    w3[:, 0] = 1.0
    assert masked_l1(recon, img, w3).item() == pytest.approx(
        (4 * 1 + 4 * 3) / 24)
    with pytest.raises(ValueError, match='same shape'):
        masked_l1(recon[:, :2], img, weight)
    for bad in (torch.ones(2, 1, 4, 4), torch.ones(1, 2, 1, 2, 2)):
        with pytest.raises(ValueError, match='does not broadcast'):
            masked_l1(recon, img, bad)
