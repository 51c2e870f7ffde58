# GPP on the toy set, fine-tuned from the toy-pretrained trunk
# (configs/baseline/pretrain_r38tiny_toy.py) as the real configs fine-tune
# ImageNet weights; otherwise gpp_r38tiny_toy.py.
_base_ = [
    './gpp_r38tiny_toy.py', '../_base_/models/r38tiny_pretrained_init.py'
]
model = dict(backbone=dict(init_cfg={{_base_.toypre_init}}))
