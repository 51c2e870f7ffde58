# GAP baseline + FSL (specs/isl_fsl.md §1.2) on the embedded toy VOC: the
# GAP toy config with the feature similarity loss added (VOC weight 1.0,
# μ 2.5, σ 5, untruncated) — combining is config only.
_base_ = ['../baseline/gap_r38tinypre_toy.py']
model = dict(losses=[
    dict(type='FeatureSimilarityLoss', loss_weight=1.0, mu=2.5, sigma=5.0)
])
