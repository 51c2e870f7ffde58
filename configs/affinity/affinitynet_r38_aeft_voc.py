# AffinityNet as AEFT trains it (ECCV 2022, KAIST-vilab/AEFT train_aff.py,
# networks/resnet38_aff.py): psa's recipe with lr 0.01 (head 0.1), AEFT's
# radius rule for small grids (radius (m - 1) // 2 when the shorter grid side
# m < 11, else 5; the same rule in the label transform), and the trunk
# initialised from the stage-1 classifier instead of ImageNet (AEFT: psa's
# res38_cls.pth, "faster convergence"). Affinity labels from the CRF at
# background powers 2 / 21 (CRFScoreMaker(bg_powers=(2, 21))).
# Initialisation: load_from stays None here; the pipeline's affinity-training
# stage passes the trained classifier checkpoint (its backbone.* tensors load
# into the trunk, the head keeps its own initialisation). Standalone:
#   python tools/train.py configs/affinity/affinitynet_r38_aeft_voc.py \
#     --cfg-options train_dataloader.dataset.label_dir=<crf score dir> \
#     load_from=<classifier checkpoint>
# Checkpoints every 200 iterations from 1,600 on (46 with the last, about
# 0.85 GB each): AEFT keeps the one whose walk gives the best pseudo-label
# mIoU on VOC train, which the pipeline's AffinityTrainStage(select=...)
# does (configs/aeft/gpp_r38_voc.py; select=None keeps the last one).
# AEFT's walk evaluation at iteration 1,600 calls model.eval() and never
# model.train(), so iterations 1,601 to the last train in eval mode: the
# EvalModeFromIterHook below does the same (begin=1600, mode='eval'; with the
# frozen BN of ResNet-38d this switches the b6 / b7 dropout off). To train
# with dropout throughout, keep only FiniteLossCheckHook in custom_hooks (a
# config based on this one), or move the start past the last iteration:
#   --cfg-options custom_hooks.1.begin=10576
_base_ = ['./affinitynet_r38_psa_voc.py']
model = dict(
    # no ImageNet weights: the classifier checkpoint provides the trunk
    backbone=dict(init_cfg=None),
    radius_rule='aeft')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCRFScorePair'),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
    dict(type='PSARandomCrop', crop_size=448, img_pad_val=0),
    dict(type='JointRandomFlip', prob=0.5),
    dict(type='CRFAffinityLabel', stride=8, radius=5, radius_rule='aeft'),
    dict(type='PackAffinityInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(
    checkpoint=dict(interval=200, save_begin=1600, max_keep_ckpts=-1))
custom_hooks = [
    dict(type='FiniteLossCheckHook'),
    dict(type='EvalModeFromIterHook', begin=1600, mode='eval'),
]
load_from = None
