# BANA stage 3 on the embedded toy VOC: the toy DeepLab-V2 (narrow
# ResNet-18, output stride 8, configs/deeplab/deeplabv2_r18_toy_pseudo.py)
# with BANA's head and loss: ASPP branches summed + ReLU -> 64-d φ, cosine
# classifier (τ = 20), noise-aware loss (γ = 7, λ = 0.1) on the two pseudo
# labels of BANA's toy stage 2: Y_crf in <pseudo_label_dir>/ and Y_ret in
# pseudo_ret/ beside it (tools/run_pipeline.py on bana_bap_r38tiny_toy.py
# plugs them in). Augmentation and schedule are the toy DeepLab's
# (random 64x64 crop + flip, AdamW, 2,500 iterations, ~2.5 min on 2 CPUs),
# so the two toy runs compare the loss/head only.
#   python tools/train.py configs/bana/bana_deeplabv2_r18_toy.py \
#     --cfg-options train_dataloader.dataset.data_prefix.seg_map_path=DIR
#   (DIR/../pseudo_ret must hold Y_ret)
_base_ = ['../deeplab/deeplabv2_r18_toy_pseudo.py']
# Output of BANA's toy stage 2 (tools/run_pipeline.py layout of
# bana_bap_r38tiny_toy; override seg_map_path as above otherwise).
pseudo_label_dir = ('{{ fileDirname }}/../../work_dirs/'
                    'bana_bap_r38tiny_toy/box_labels/pseudo')
model = dict(
    decode_head=dict(
        _delete_=True,
        type='CosineASPPHead',
        in_channels=128,
        channels=64,
        num_classes=7,
        dilations=(1, 2, 3, 4),  # the toy DeepLab's, for a 12x12 map
        classifier='cosine',
        temperature=20.0,
        align_corners=True,
        loss_decode=dict(
            type='NoiseAwareLoss',
            mode='nal',
            gamma=7.0,
            lam=0.1,
            temperature=20.0,
            detach_sigma=False)))
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadPseudoLabelPair'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPseudoLabelPair'),
]
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(seg_map_path=pseudo_label_dir),
        ret_dir='pseudo_ret',
        pipeline=train_pipeline))
