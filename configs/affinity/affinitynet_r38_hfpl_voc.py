# AffinityNet as hfpl trains it (WACV 2024, arXiv:2304.02621, arvijj/hfpl
# train_aff_voc.py, run_voc.sh): psa's recipe with lr 0.01 (head 0.1), the
# AEFT radius rule (network/resnet38_aff.py) and ImageNet initialisation.
# Affinity labels from the CRF at background powers 1 / 24
# (CRFScoreMaker(bg_powers=(1, 24))); final checkpoint.
#   python tools/train.py configs/affinity/affinitynet_r38_hfpl_voc.py \
#     --cfg-options train_dataloader.dataset.label_dir=<crf score dir>
_base_ = ['./affinitynet_r38_psa_voc.py']
model = dict(radius_rule='aeft')
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
