# GAP baseline + ISL (hfpl, WACV 2024) on the embedded toy VOC: the
# GAP toy config with the importance sampling loss added — combining is
# config only. Weight λ = 0.2 on top of the unchanged GAP loss; for the
# official mix (1 - λ)·GAP + λ·ISL also set
# model.head.loss_cls.loss_weight=0.8.
_base_ = ['../baseline/gap_r38tiny_pretrained_toy.py']
model = dict(losses=[
    dict(type='ImportanceSamplingLoss', num_samples=10, loss_weight=0.2)
])
