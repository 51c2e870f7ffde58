# The toy CAM-classifier schedule (2 CPU cores, a few minutes): AdamW lr
# 3e-3, weight decay 1e-4, 50 iterations of linear warm-up from 0.1x, then
# cosine annealing to 0 over the remaining 950; 1,000 iterations, validation
# every 500. Mixed into the *_r38tiny_toy.py configs (with
# default_hooks = dict(checkpoint=dict(interval=500)) beside it).
max_iters = 1000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - 50,
        begin=50,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
