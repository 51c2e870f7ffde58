# Pre-trains the 1/16-width ResNet-38d trunk for the toy fine-tuning configs
# (*_r38tiny_pretrained_toy.py): the GAP classifier of gap_r38tiny_toy.py
# trained on a second toy set generated with another seed, standing in for
# the ImageNet weights that the real configs fine-tune. The fine-tuning
# configs load the trunk only (a fresh head per method).
#   python tools/misc/make_toy_voc.py --out data/toyvoc_pretrain --seed 1
#   python tools/train.py configs/baseline/pretrain_r38tiny_toy.py
#   cp work_dirs/pretrain_r38tiny_toy/iter_1000.pth \
#      pretrained/r38tiny_toypre.pth
_base_ = ['./gap_r38tiny_toy.py']
pretrain_root = 'data/toyvoc_pretrain'
train_dataloader = dict(dataset=dict(data_root=pretrain_root))
val_dataloader = dict(dataset=dict(data_root=pretrain_root))
test_dataloader = val_dataloader
