# GAP baseline + ISL + FSL (specs/isl_fsl.md §1.1-1.2) on the embedded toy
# VOC: both plug-in losses added to the GAP toy config (ISL λ 0.2 on top of
# the GAP loss, S 10; FSL weight 1.0, μ 2.5, σ 5).
_base_ = ['../baseline/gap_r38tinypre_toy.py']
model = dict(losses=[
    dict(type='ImportanceSamplingLoss', num_samples=10, loss_weight=0.2),
    dict(type='FeatureSimilarityLoss', loss_weight=1.0, mu=2.5, sigma=5.0)
])
