# AEFT + GPP on the toy set, fine-tuned from the toy-pretrained trunk
# (configs/baseline/pretrain_r38tiny_toy.py); otherwise aeft_gpp_r38tiny_toy.py
# (AEFT from iteration 450 of 1,000).
_base_ = [
    './aeft_gpp_r38tiny_toy.py', '../_base_/models/r38tiny_pretrained_init.py'
]
model = dict(backbone=dict(init_cfg={{_base_.toypre_init}}))
