# The toy-pretrained 1/16-width ResNet-38d trunk (the toy stand-in for the
# ImageNet weights); mixed into the *_r38tiny_pretrained_toy.py configs.
toypre_init = dict(
    _delete_=True,
    type='Pretrained',
    checkpoint='pretrained/r38tiny_toypre.pth',
    prefix='backbone.')
