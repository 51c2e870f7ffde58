# SEAM + ISL + FSL (Jonnarth et al., WACV 2024) on PASCAL VOC 2012: the
# SEAM recipe of seam_r38_voc.py plus the two plug-in losses on view 1's raw
# foreground score maps (arvijj/hfpl defaults):
# ISL λ = 0.2, S = 10; FSL weight 1.0, μ = 2.5, σ = 5, untruncated.
# ISL mixing: the official full-resolution term is (1 - λ)·L_GAP,1 + λ·ISL
# inside SEAM's ½ average, i.e. effective weights L_GAP,1 0.4, ISL 0.1,
# L_GAP,2 0.5 — hence view_cls_weights and the ISL loss_weight below.
#   python tools/train.py configs/isl_fsl/seam_isl_fsl_r38_voc.py
_base_ = ['./seam_r38_voc.py']
isl_lambda = 0.2
model = dict(
    view_cls_weights=(0.5 * (1 - isl_lambda), 0.5),
    losses=[
        dict(
            type='ImportanceSamplingLoss',
            num_samples=10,
            loss_weight=0.5 * isl_lambda),
        dict(type='FeatureSimilarityLoss', loss_weight=1.0, mu=2.5, sigma=5.0)
    ])
