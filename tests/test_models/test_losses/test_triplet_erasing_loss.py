import pytest
import torch

from mmwsss.models.losses.triplet_erasing_loss import (
    attraction_embedding,
    attraction_loss,
    negative_embedding,
    repulsion_loss,
    residual_embedding,
    residual_mask,
    sample_negatives,
)
from mmwsss.registry import MODELS

EPS = 1e-5


def test_attraction_on_hand_built_maps():
    labels = torch.tensor([[1.0, 0.0]])
    anchor = torch.zeros(1, 2, 2, 2)
    anchor[0, 0] = torch.tensor([[1.0, -1.0], [3.0, 0.0]])
    anchor[0, 1] = 5.0  # absent class: masked out
    erased = torch.zeros(1, 2, 2, 2)
    erased[0, 0] = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    e_a = attraction_embedding(anchor, labels)
    e_p = attraction_embedding(erased, labels)
    assert e_a.tolist() == [[1.0, 0.0]] and e_p.tolist() == [[0.5, 0.0]]
    # L1 averaged over all B x K entries, zeros included
    assert attraction_loss(e_a, e_p).item() == pytest.approx(0.25)


def test_residual_and_negative_embeddings_on_hand_built_maps():
    labels = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    cams = torch.zeros(1, 2, 2, 2, dtype=torch.float64)
    cams[0, 0] = torch.tensor([[0.0, 1.0], [2.0, 4.0]])
    maps = torch.zeros(1, 2, 2, 2, dtype=torch.float64)
    maps[0, 0] = torch.tensor([[1.0, -2.0], [4.0, 2.0]])
    maps[0, 1] = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    # N(f) = (f - 0 - eps)+ / (4 + eps) = [0, ~.25, ~.5, ~1]; t_L = 0.3
    mask = residual_mask(cams, labels, 0.3)
    assert mask[0, 0].tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert mask[0, 1].tolist() == [[1.0, 1.0], [1.0, 1.0]]  # absent: all
    feats = maps[0, 0] / (4 + EPS)
    expected = (feats[0, 0] + feats[0, 1]) / (2 + EPS)
    e_al = residual_embedding(cams, maps, labels, 0.3)
    assert e_al[0, 0].item() == pytest.approx(expected.item(), rel=1e-12)
    assert e_al[0, 1].item() == 0.0
    e_n = negative_embedding(maps, labels)
    assert e_n[0, 0].item() == pytest.approx(
        (feats.sum() / (4 + EPS)).item(), rel=1e-12)
    assert e_n[0, 1].item() == 0.0


def test_repulsion_needs_more_than_four_hard_triplets():
    residual = torch.zeros(6, 1)
    distances = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.6, 0.7])
    negative = distances.sqrt()[:, None]
    loss, dist, hard = repulsion_loss(residual, negative, margin=0.5)
    assert torch.allclose(dist, distances)
    assert hard.tolist() == [True] * 4 + [False] * 2
    assert loss.item() == 0.0  # only four hard triplets
    distances[4] = 0.45
    loss, _, hard = repulsion_loss(residual, distances.sqrt()[:, None], 0.5)
    assert int(hard.sum()) == 5
    assert loss.item() == pytest.approx((0.4 + 0.3 + 0.2 + 0.1 + 0.05) / 5)
    loss, _, _ = repulsion_loss(
        residual, distances.sqrt()[:, None], 0.5, min_hard_triplets=5)
    assert loss.item() == 0.0


def test_sample_negatives_are_label_disjoint_and_uniform():
    labels = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1]])
    generator = torch.Generator().manual_seed(0)
    picks = torch.stack(
        [sample_negatives(labels, generator) for _ in range(2000)])
    allowed = {0: {1, 3}, 1: {0, 3}, 2: {3}, 3: {0, 1, 2}}
    for anchor, options in allowed.items():
        assert set(picks[:, anchor].tolist()) == options
    share = (picks[:, 0] == 1).float().mean().item()
    assert 0.45 < share < 0.55
    same = torch.ones(3, 2)
    assert sample_negatives(same).tolist() == [-1, -1, -1]


def build_loss(**kwargs):
    return MODELS.build(dict(type='TripletErasingLoss', **kwargs))


def random_inputs(batch=8, classes=4, size=6):
    torch.manual_seed(0)
    labels = torch.zeros(batch, classes)
    labels[torch.arange(batch), torch.arange(batch) % classes] = 1
    anchor = torch.randn(batch, classes, size, size, requires_grad=True)
    erased = torch.randn(batch, classes, size, size, requires_grad=True)
    cams = torch.randn(batch, classes, size, size)
    return dict(
        cams=cams,
        labels=labels,
        gpp_map=anchor,
        erased=dict(gpp_map=erased),
        negatives=sample_negatives(labels))


def test_forward_weights_terms_and_reaches_both_passes():
    loss = build_loss(margin=10.0)  # every triplet hard
    assert loss.inputs == ('cams', 'labels', 'gpp_map', 'erased',
                           'negatives')
    inputs = random_inputs()
    out = loss(**inputs)
    terms = loss.terms(inputs['cams'], inputs['labels'], inputs['gpp_map'],
                       inputs['erased']['gpp_map'], inputs['negatives'])
    assert out['loss_aeft_attract'].item() == pytest.approx(
        0.2 * terms['attract'].item())
    assert out['loss_aeft_repel'].item() == pytest.approx(
        0.15 * terms['repel'].item())
    assert out['aeft_hard_triplets'].item() == 8
    assert terms['repel'].item() > 0
    (out['loss_aeft_attract'] + out['loss_aeft_repel']).backward()
    assert inputs['gpp_map'].grad.abs().sum() > 0
    assert inputs['erased']['gpp_map'].grad.abs().sum() > 0


def test_anchors_without_negative_are_skipped():
    inputs = random_inputs()
    inputs['negatives'][:3] = -1
    terms = build_loss(margin=10.0).terms(
        inputs['cams'], inputs['labels'], inputs['gpp_map'],
        inputs['erased']['gpp_map'], inputs['negatives'])
    assert terms['distances'].shape == (5, )


def test_cam_embedding_variant_and_bad_arguments():
    loss = build_loss(embedding='cams')
    assert loss.inputs == ('cams', 'labels', 'erased', 'negatives')
    inputs = random_inputs()
    inputs['erased'] = dict(cams=torch.randn(8, 4, 6, 6))
    assert set(loss(**inputs)) == {
        'loss_aeft_attract', 'loss_aeft_repel', 'aeft_hard_triplets'
    }
    for kwargs in (dict(margin=0), dict(low_thr=0), dict(low_thr=1.5),
                   dict(min_hard_triplets=-1), dict(loss_name='aeft')):
        with pytest.raises(ValueError):
            build_loss(**kwargs)
