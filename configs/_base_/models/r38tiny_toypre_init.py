# The toy-pretrained 1/16-width ResNet-38d trunk (the toy stand-in for the
# ImageNet weights); mixed into the *_r38tinypre_toy.py configs.
toypre_init = dict(
    _delete_=True,
    type='Pretrained',
    checkpoint='pretrained/r38tiny_toypre.pth',
    prefix='backbone.')
pretrained_hint = (
    'Pre-train the toy trunk first: python tools/misc/make_toy_voc.py --out '
    'data/toyvoc_pretrain --seed 1 && python tools/train.py '
    'configs/baseline/gap_r38tiny_toypre.py && cp '
    'work_dirs/gap_r38tiny_toypre/iter_1000.pth pretrained/r38tiny_toypre.pth')
