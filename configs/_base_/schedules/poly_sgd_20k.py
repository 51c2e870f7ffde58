# DeepLab-V2 ResNet-101 recipe for VOC train_aug (pseudo labels): SGD lr
# 2.5e-4, momentum 0.9, weight decay 5e-4, poly(0.9) to 0 over 20,000
# iterations at batch 10, the new head at 10x lr. Sources: BANA's V2 config
# (cvlab-yonsei/BANA; 10x for the ASPP branches and classifier) and
# kazuto1011/deeplab-pytorch configs/voc12.yaml (it gives head biases 20x and
# updates the poly lr every 10 iterations). The SEAM/AEFT ResNet-38 DeepLab
# recipe has the same batch, momentum, decay, poly power and length with lr
# 1e-3.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)}))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=20000,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
