# BANA stage 1 on the toy set, fine-tuned from the toy-pretrained trunk
# (configs/baseline/pretrain_r38tiny_toy.py) as the real config fine-tunes
# ImageNet VGG-16 weights; otherwise bana_bap_r38tiny_toy.py (same pipeline
# section; pass --cfg-options to point the segment stage elsewhere).
_base_ = [
    './bana_bap_r38tiny_toy.py', '../_base_/models/r38tiny_pretrained_init.py'
]
model = dict(backbone=dict(init_cfg={{_base_.toypre_init}}))
