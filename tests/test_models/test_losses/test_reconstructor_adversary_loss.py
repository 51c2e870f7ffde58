"""ACR's RU and CU losses: a float64 check against the definitions composed
by hand, the gradient paths, the RU gate, λ = 0 and the loss module."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmwsss.models.losses import (
    ReconstructorAdversaryLoss,
    cu_losses,
    ru_losses,
)
from mmwsss.registry import MODELS

B, C, D, H = 2, 3, 4, 8  # batch, classes, feature channels, image side
EPS = 1e-5


def inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    opts = dict(generator=gen, dtype=torch.float64)
    return dict(
        img=torch.randn(B, 3, H, H, **opts),
        labels=torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]],
                            dtype=torch.float64),
        target_onehot=torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
                                   dtype=torch.float64),
        cls_cam_logits=torch.randn(B, C, 4, 4, **opts).requires_grad_(),
        rec_cam_logits=torch.randn(B, C, 4, 4, **opts).requires_grad_(),
        rec_feat=torch.randn(B, D, 4, 4, **opts).requires_grad_())


def decoder(seed=1):
    torch.manual_seed(seed)
    return nn.Conv2d(D, 3, 3, padding=1).double()


# hidden cells: image 0 all hidden, image 1 one hidden cell of four
CELLS = torch.tensor([[[[1.0, 1.0], [1.0, 1.0]]], [[[0.0, 1.0], [0.0,
                                                                  0.0]]]])


def by_hand_a_t(cam, labels, t):
    pos = cam.clamp(min=0)
    low = pos.amin(dim=(2, 3), keepdim=True)
    high = pos.amax(dim=(2, 3), keepdim=True)
    normed = (pos - low - EPS).clamp(min=0) / (high - low + EPS)
    up = F.interpolate(normed * labels[:, :, None, None], size=(H, H),
                       mode='bilinear', align_corners=False)
    return torch.stack([up[b, t[b]] for b in range(B)])[:, None]


def by_hand_bce(cams, labels):
    z = cams.mean(dim=(2, 3))
    p = torch.sigmoid(z)
    return -(labels * p.log() + (1 - labels) * (1 - p).log()).mean()


def l1w_sum(rec, img, w):
    """Σ over C, H, W of |R − I| ⊙ W per image (B,)."""
    return ((rec - img).abs() * w).sum(dim=(1, 2, 3))


def by_hand_ru(dec, x, min_visible):
    t = [0, 2]
    a_t = by_hand_a_t(x['cls_cam_logits'].detach(), x['labels'], t)
    e = CELLS.double().repeat_interleave(4, 2).repeat_interleave(4, 3)
    x_up = F.interpolate(x['rec_feat'], size=(H, H), mode='bilinear',
                         align_corners=False)
    n = 3 * H * H
    full = (dec(x_up.detach()) - x['img']).abs().mean()
    rec_t = l1w_sum(dec(x_up * (1 - e * (1 - a_t))), x['img'],
                    e * (1 - a_t)).sum() / (B * n)
    per = l1w_sum(dec(x_up * (1 - e * a_t)), x['img'], e * a_t) / n
    visible = (1 - e * a_t).sum(dim=(1, 2, 3))
    kept = [per[b] for b in range(B) if visible[b] > min_visible]
    rec_nt = sum(kept) / len(kept) if kept else torch.zeros(
        (), dtype=torch.float64)
    cls = by_hand_bce(x['rec_cam_logits'], x['labels'])
    total = cls + 0.2 * full + 0.5 * rec_t + 0.3 * rec_nt
    return dict(rec_cls=cls, rec_full=full, rec_t=rec_t, rec_nt=rec_nt,
                loss_ru=total), visible


def by_hand_cu(dec, x):
    t = [0, 2]
    cam = x['cls_cam_logits']
    a_t = by_hand_a_t(cam, x['labels'], t)
    x_up = F.interpolate(x['rec_feat'].detach(), size=(H, H),
                         mode='bilinear', align_corners=False)
    winner = F.interpolate(cam.detach(), size=(H, H), mode='bilinear',
                           align_corners=False).argmax(dim=1)
    is_t = torch.stack([winner[b] == t[b] for b in range(B)])[:, None]
    n = B * 3 * H * H
    w_t = (a_t.detach() == 0).double()
    w_nt = a_t.detach() * is_t.double()
    adv_t = l1w_sum(dec(x_up * a_t), x['img'], w_t).sum() / n
    adv_nt = l1w_sum(dec(x_up * (1 - a_t)), x['img'], w_nt).sum() / n
    cls = by_hand_bce(cam, x['labels'])
    return dict(cls=cls, adv_t=adv_t, adv_nt=adv_nt,
                loss_cu=cls - 0.8 * adv_t - 0.3 * adv_nt), w_t, w_nt


def test_ru_float64_against_hand_composition():
    dec, x = decoder(), inputs()
    _, visible = by_hand_ru(dec, x, 0)
    assert visible[0] < visible[1]
    for min_visible in (0, float(visible.mean()), 1e9):
        got = ru_losses(dec, hidden_cells=CELLS, min_visible=min_visible,
                        **x)
        want, _ = by_hand_ru(dec, x, min_visible)
        assert set(got) == set(want)
        for key in want:
            assert torch.allclose(got[key], want[key], rtol=1e-12,
                                  atol=1e-14), key
        grads = [torch.autograd.grad(d['loss_ru'], x['rec_feat'])[0]
                 for d in (got, want)]
        assert torch.allclose(*grads, rtol=1e-10, atol=1e-14)
    # the gate dropped image 0 at the mid threshold, everything at 1e9
    per_image = ru_losses(dec, hidden_cells=CELLS, min_visible=1e9, **x)
    assert per_image['rec_nt'].item() == 0.0


def test_cu_float64_against_hand_composition():
    dec, x = decoder(), inputs(seed=3)
    got = cu_losses(dec, **{k: v for k, v in x.items()
                            if k != 'rec_cam_logits'})
    want, w_t, w_nt = by_hand_cu(dec, x)
    assert w_t.sum() > 0 and w_nt.sum() > 0  # both masks are not empty
    for key in want:
        assert torch.allclose(got[key], want[key], rtol=1e-12,
                              atol=1e-14), key
    grads = [torch.autograd.grad(d['loss_cu'], x['cls_cam_logits'])[0]
             for d in (got, want)]
    assert grads[0].abs().sum() > 0
    assert torch.allclose(*grads, rtol=1e-10, atol=1e-14)


def test_ru_gradient_paths():
    dec, x = decoder(), inputs()
    out = ru_losses(dec, hidden_cells=CELLS, **x)

    def grad(term, wrt):
        return torch.autograd.grad(
            out[term], wrt, retain_graph=True, allow_unused=True)

    # the classifier's maps are a constant
    assert grad('loss_ru', x['cls_cam_logits'])[0] is None
    # features: through the two masked branches, not the full-image one
    assert grad('rec_full', x['rec_feat'])[0] is None
    assert grad('rec_t', x['rec_feat'])[0].abs().sum() > 0
    assert grad('rec_nt', x['rec_feat'])[0].abs().sum() > 0
    # the full-image term trains the decoder
    assert grad('rec_full', dec.weight)[0].abs().sum() > 0
    assert grad('rec_cls', x['rec_cam_logits'])[0].abs().sum() > 0
    assert grad('rec_cls', x['rec_feat'])[0] is None


def test_cu_gradient_paths():
    dec, x = decoder(), inputs(seed=3)
    x.pop('rec_cam_logits')
    out = cu_losses(dec, **x)

    def grad(term, wrt):
        return torch.autograd.grad(
            out[term], wrt, retain_graph=True, allow_unused=True)[0]

    assert grad('loss_cu', x['rec_feat']) is None
    # A_t inside both decoder inputs carries gradient to the logits
    assert grad('adv_t', x['cls_cam_logits']).abs().sum() > 0
    assert grad('adv_nt', x['cls_cam_logits']).abs().sum() > 0
    # the decoder's parameters get gradient (the caller freezes them)
    assert grad('adv_t', dec.weight).abs().sum() > 0


def test_official_decoder_call_order():
    x = inputs()
    calls = []

    def recorder(feat):
        calls.append(feat)
        return feat[:, :3]

    ru_losses(recorder, hidden_cells=CELLS, **x)
    a_t = by_hand_a_t(x['cls_cam_logits'].detach(), x['labels'], [0, 2])
    e = CELLS.double().repeat_interleave(4, 2).repeat_interleave(4, 3)
    x_up = F.interpolate(x['rec_feat'], size=(H, H), mode='bilinear',
                         align_corners=False)
    assert len(calls) == 3 and not calls[0].requires_grad
    assert torch.allclose(calls[0], x_up)
    assert torch.allclose(calls[1], x_up * (1 - e * a_t))
    assert torch.allclose(calls[2], x_up * (1 - e * (1 - a_t)))


def test_lambda_zero_is_plain_bce_without_decoder_calls():
    x = inputs()
    x.pop('rec_cam_logits')

    def no_call(_):
        raise AssertionError('decoder called')

    out = cu_losses(no_call, lambda_t=0, lambda_nt=0, **x)
    bce = F.binary_cross_entropy_with_logits(
        x['cls_cam_logits'].mean(dim=(2, 3)), x['labels'])
    assert torch.equal(out['loss_cu'], bce)
    assert out['adv_t'].item() == 0 and out['adv_nt'].item() == 0
    # the same through the module with every reconstruction weight 0
    loss = ReconstructorAdversaryLoss(cu_weights=dict(t=0, nt=0))
    assert torch.equal(loss.cu(no_call, **x)['loss_cu'], bce)


class _Model(BaseModel):

    def forward(self, *args, **kwargs):
        raise NotImplementedError


def test_term_names_and_parse_losses():
    dec, x = decoder(), inputs()
    ru = ru_losses(dec, hidden_cells=CELLS, **x)
    cu = cu_losses(dec, **{k: v for k, v in x.items()
                           if k != 'rec_cam_logits'})
    assert list(ru) == ['rec_cls', 'rec_full', 'rec_nt', 'rec_t', 'loss_ru']
    assert list(cu) == ['cls', 'adv_t', 'adv_nt', 'loss_cu']
    for terms, total in ((ru, 'loss_ru'), (cu, 'loss_cu')):
        assert [k for k in terms if 'loss' in k] == [total]
        parsed, log_vars = _Model().parse_losses(terms)
        assert torch.allclose(parsed, terms[total])
        assert set(log_vars) == set(terms) | {'loss'}


def test_module_weights_and_paper_variant():
    loss = MODELS.build(dict(type='ReconstructorAdversaryLoss'))
    assert loss.ru_weights == dict(cls=1.0, full=0.2, t=0.5, nt=0.3)
    assert loss.cu_weights == dict(cls=1.0, t=0.8, nt=0.3)
    assert loss.min_visible == 50 and not list(loss.parameters())
    coco = ReconstructorAdversaryLoss(
        ru_weights=dict(t=0.2, nt=0.2), cu_weights=dict(t=0.3, nt=0.2))
    assert coco.ru_weights == dict(cls=1.0, full=0.2, t=0.2, nt=0.2)
    with pytest.raises(ValueError, match=r"unknown ru_weights keys \['l1'\]"):
        ReconstructorAdversaryLoss(ru_weights=dict(l1=1.0))
    with pytest.raises(ValueError, match='unknown cu_weights'):
        ReconstructorAdversaryLoss(cu_weights=dict(full=1.0))

    dec, x = decoder(), inputs()
    got = coco.ru(dec, x['img'], x['labels'], x['target_onehot'], CELLS,
                  x['cls_cam_logits'], x['rec_cam_logits'], x['rec_feat'])
    want = ru_losses(dec, hidden_cells=CELLS, lambda_t=0.2, lambda_nt=0.2,
                     **x)
    assert torch.equal(got['loss_ru'], want['loss_ru'])
    # supplement variant: no BCE and no full-image term (two decoder calls)
    calls = []
    paper = ReconstructorAdversaryLoss(ru_weights=dict(cls=0, full=0))
    out = paper.ru(lambda f: calls.append(f) or dec(f), x['img'],
                   x['labels'], x['target_onehot'], CELLS,
                   x['cls_cam_logits'], x['rec_cam_logits'], x['rec_feat'])
    assert len(calls) == 2 and out['rec_full'].item() == 0
    assert torch.allclose(out['loss_ru'],
                          0.5 * out['rec_t'] + 0.3 * out['rec_nt'])
