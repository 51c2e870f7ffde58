# GPP (AEFT §2) + FSL on the embedded toy VOC: configs/aeft/gpp_r38tiny_toy.py
# with the feature similarity loss appended (specs/isl_fsl.md §1.2; weight
# 1.0, μ 2.5, σ 5) on the GPP head's class maps f — a method from one paper
# combined with a loss from another by config only.
_base_ = ['../aeft/gpp_r38tiny_toy.py']
model = dict(losses=[
    dict(type='FeatureSimilarityLoss', loss_weight=1.0, mu=2.5, sigma=5.0)
])
