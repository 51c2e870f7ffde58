# Ablation of bana_deeplabv2_r18_toy.py (paper row "CE on Y_crf"): the same
# toy DeepLab-V2 with the cosine classifier (τ = 20), trained with plain
# cross-entropy on every Y_crf pixel instead of the noise-aware loss; Y_ret
# is not read.
#   python tools/run_pipeline.py \
#     configs/bana/bana_bap_r38tiny_pretrained_toy.py \
#     --cfg-options \
#     stages.segment.config=configs/bana/bana_deeplabv2_r18_ce_toy.py
_base_ = ['./bana_deeplabv2_r18_toy.py']
model = dict(
    decode_head=dict(
        loss_decode=dict(
            _delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(dataset=dict(ret_dir=None, pipeline=train_pipeline))
