# GAP on the toy set, fine-tuned from the toy-pretrained trunk (see
# pretrain_r38tiny_toy.py), the toy analogue of the ImageNet-initialised real
# configs; a fresh head, otherwise gap_r38tiny_toy.py.
_base_ = [
    './gap_r38tiny_toy.py', '../_base_/models/r38tiny_pretrained_init.py'
]
model = dict(backbone=dict(init_cfg={{_base_.toypre_init}}))
