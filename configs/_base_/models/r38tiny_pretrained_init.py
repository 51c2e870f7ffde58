# The toy-pretrained 1/16-width ResNet-38d trunk (the toy stand-in for the
# ImageNet weights); mixed into the *_r38tiny_pretrained_toy.py configs.
toypre_init = dict(
    _delete_=True,
    type='Pretrained',
    checkpoint='pretrained/r38tiny_toypre.pth',
    prefix='backbone.')
pretrained_hint = (
    'Pre-train the toy trunk first: python tools/misc/make_toy_voc.py --out '
    'data/toyvoc_pretrain --seed 1 && python tools/train.py '
    'configs/baseline/pretrain_r38tiny_toy.py && cp '
    'work_dirs/pretrain_r38tiny_toy/iter_1000.pth '
    'pretrained/r38tiny_toypre.pth')
