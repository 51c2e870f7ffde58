# AEFT + GPP on the embedded toy VOC: the GPP toy run with AEFT switched on
# at iteration 450 of 1,000 (18 of AEFT's 40 epochs), VOC thresholds and
# margin. Unlike the VOC recipe the batch stays at 32 and the
# classification loss uses the whole batch (cls_batch_size=None), so the
# only difference from gpp_r38tiny_toy.py is the erasing step and its
# triplet terms.
_base_ = ['./gpp_r38tiny_toy.py']
model = dict(
    type='AEFTClassifier',
    triplet_loss=dict(
        type='TripletErasingLoss',
        attract_weight=0.2,
        repel_weight=0.15,
        margin=0.5,
        low_thr=0.2),
    erase_thr=0.6,
    cls_batch_size=None)
custom_hooks = [
    dict(type='FiniteLossCheckHook'),
    dict(type='AEFTSwitchHook', begin=450),
]
