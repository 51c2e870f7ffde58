# GPP + FSL + AEFT on the embedded toy VOC, composed from existing configs
# only (no new code):
#   - configs/aeft/aeft_gpp_r38tiny_pretrained_toy.py: GPPHead,
#     AEFTClassifier with TripletErasingLoss from iteration 450 of 1,000
#     (AEFTSwitchHook), the toy-pretrained trunk, DenseCRF pseudo labels
#     with background power 4;
#   - the FeatureSimilarityLoss entry of configs/isl_fsl/gpp_fsl_r38tiny_toy.py
#     and gap_fsl_r38tiny_pretrained_toy.py (weight 1.0, mu 2.5, sigma scaled
#     to the toy CAM), appended as a plug-in loss. AEFTClassifier applies
#     plug-in losses in both phases, to the original (not the erased) batch.
# Needs data/toyvoc and pretrained/r38tiny_toypre.pth (see ../README.md).
_base_ = ['../../../configs/aeft/aeft_gpp_r38tiny_pretrained_toy.py']
# sigma is in CAM pixels: VOC's 5 on a 56-pixel CAM scaled to the toy's 12
toy_sigma = 5.0 * 12 / 56
model = dict(losses=[
    dict(
        type='FeatureSimilarityLoss',
        loss_weight=1.0,
        mu=2.5,
        sigma=toy_sigma)
])
