# GAP + FSL CAMs on the toy set refined three ways in one work dir
# (DenseCRF, AffinityNet's walk, IRN's walk): the stages of
# configs/baseline/gap_r38tiny_pretrained_walks_toy.py with the model of
# gap_fsl_r38tiny_pretrained_toy.py.
_base_ = ['../baseline/gap_r38tiny_pretrained_walks_toy.py']
toy_sigma = 5.0 * 12 / 56  # as gap_fsl_r38tiny_pretrained_toy.py
model = dict(losses=[
    dict(
        type='FeatureSimilarityLoss',
        loss_weight=1.0,
        mu=2.5,
        sigma=toy_sigma)
])
