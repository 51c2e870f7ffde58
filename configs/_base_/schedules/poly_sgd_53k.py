# The AEFT stage-1 recipe (KAIST-vilab/AEFT train.py): SGD lr 0.01, weight
# decay 5e-4, poly(0.9) decay over (10582 // 8) * 40 = 52,880 iterations at
# batch 8, one lr for every trainable tensor (no 10x head lr). momentum=5e-4
# reproduces the official code's effective value (weight decay passed into
# SGD's momentum slot); set 0.9 for the textbook optimiser.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=5e-4, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=0.9,
        begin=0,
        end=52880,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=52880, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
