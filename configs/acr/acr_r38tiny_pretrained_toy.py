# ACR on the embedded toy VOC (96 x 96 images, 6 shape classes; python
# tools/misc/make_toy_voc.py --out data/toyvoc): the classifier F and the
# reconstructor's encoder G_E are the 1/16-width ResNet-38d, both started
# from the toy-pretrained trunk (configs/baseline/pretrain_r38tiny_toy.py),
# as the real configs start both from ImageNet. Differences from
# acr_r38_voc.py, all for the toy's scale: tap convs 32/64/256 -> 8/16/32
# channels (X: 56), a 5-level decoder (16, 32, 64, 64, 64; 96 = 3 x 2^5, so
# whole images, no crop), a 64-wide hidden layer in both CAM heads, BN
# trained as in the GAP toy, AdamW with the GAP toy's schedule (the
# official SGD at lr 0.01 barely moves the from-scratch toy decoder), and 40
# SRF "epochs" spread over the run. The toy stages: single-scale + flip CAMs
# (min-max normalised), DenseCRF (`refine`, for comparison) and IRN's walk
# (`irn_*`, the toy walk settings of
# configs/baseline/gap_r38tiny_pretrained_walks_toy.py); DeepLab trains on
# the walk's labels.
#   python tools/run_pipeline.py configs/acr/acr_r38tiny_pretrained_toy.py
_base_ = ['../baseline/gap_r38tiny_pretrained_toy.py']
# ACR's batch 8 (an ACR iteration at batch 32 costs ~14 GAP-toy steps on
# the CPU: five decoder passes at full resolution); 600 iterations =
# 2.4 passes over the 2,000 training images. Measured: ~1 CPU-second per
# iteration with one thread, i.e. about 6-10 minutes on an idle 2-core
# machine.
max_iters = 600
iters_per_epoch = max_iters // 40  # q: 0.80 -> 0.41 over the run
toy_trunk = dict(
    type='ResNet38d',
    width_mult=0.0625,
    norm_eval=False,
    frozen_bn_affine=False,
    init_cfg={{_base_.toypre_init}})
model = dict(
    type='ACRClassifier',
    head=dict(hidden_channels=64),
    reconstructor=dict(
        type='ACRReconstructor',
        encoder=dict(toy_trunk, out_indices=(3, 5, 6)),
        tap_channels=(8, 16, 32),
        head=dict(
            type='GAPHead', num_classes=6, in_channels=256,
            hidden_channels=64),
        decoder=dict(
            type='ReconstructionUNet',
            in_channels=56,
            channels=(16, 32, 64, 64, 64),
            dropout=(0, 0, 0, 0.5, 0.5))),
    adversary=dict(
        type='ReconstructorAdversaryLoss',
        ru_weights=dict(cls=1.0, full=0.2, t=0.5, nt=0.3),
        cu_weights=dict(cls=1.0, t=0.8, nt=0.3)),
    srf=dict(cells=16, keep_start=0.8, keep_step=0.01),
    cam_cfg=dict(normalize='minmax'))
# F's optimiser is the GAP toy's (AdamW lr 3e-3, wd 1e-4, every tensor
# alike); G gets the same. Unit multipliers: the official x2 / x10 / x20
# belong to its SGD recipe.
adamw = dict(type='AdamW', lr=3e-3, weight_decay=1e-4)
optim_wrapper = dict(
    _delete_=True,
    constructor='ACROptimWrapperConstructor',
    classifier=dict(type='OptimWrapper', optimizer=adamw),
    reconstructor=dict(type='OptimWrapper', optimizer=adamw),
    paramwise_cfg=dict(
        bias_lr_mult=1.0,
        bias_decay_mult=1.0,
        deconv_lr_mult=1.0,
        deconv_bias_lr_mult=1.0,
        deconv_bias_decay_mult=1.0,
        norm_lr_mult=1.0,
        norm_decay_mult=1.0))
# the GAP toy's warm-up + cosine, over max_iters
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, begin=0, end=50, by_epoch=False),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - 50,
        begin=50,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 2)
train_dataloader = dict(batch_size=8)
default_hooks = dict(checkpoint=dict(interval=max_iters // 2))
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel',
    broadcast_buffers=False,
    find_unused_parameters=True)
custom_hooks = [
    dict(type='FiniteLossCheckHook'),
    dict(type='SRFScheduleHook', iters_per_epoch=iters_per_epoch),
]
# The toy walk stages of gap_r38tiny_pretrained_walks_toy.py, IRN only.
stages = dict(
    irn_labels=dict(
        type='AffinityLabelStage',
        split='train',
        nproc=2,
        maker=dict(type='IRLabelMaker', fg_thr=0.6, bg_thr=0.3)),
    irn_train=dict(
        type='AffinityTrainStage',
        config='configs/affinity/irn_r50tiny_toy.py',
        labels='irn_labels'),
    irn_walk=dict(
        type='RefineStage',
        affinity='irn_train',
        nproc=2,
        refiner=dict(
            type='IRNRandomWalkRefiner',
            beta=10,
            exp_times=2,
            radius=5,
            bg_threshold=0.55)),
    segment=dict(labels='irn_walk'))
# Effective batch: 8 = 1 GPU × 8 (the toy: one CPU process).
auto_scale_lr = dict(enable=False, base_batch_size=8)
