# GPP on the toy set, fine-tuned from the toy-pretrained trunk
# (configs/baseline/gap_r38tiny_toypre.py) as the real configs fine-tune
# ImageNet weights; otherwise gpp_r38tiny_toy.py.
_base_ = ['./gpp_r38tiny_toy.py', '../_base_/models/r38tiny_toypre_init.py']
model = dict(backbone=dict(init_cfg={{_base_.toypre_init}}))
