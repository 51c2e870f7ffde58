# AEFT + GPP CAMs on the toy set refined three ways in one work dir, on the
# same CAMs: DenseCRF (`refine`, from the base config), AffinityNet's random
# walk (`psa_*`) and IRN's (`irn_*`), with the settings of
# configs/baseline/gap_r38tiny_pretrained_walks_toy.py (the same for every
# CAM method of the toy study). The DeepLab stage trains on the AffinityNet
# walk's labels. AffinityNet's checkpoint is chosen as AEFT chooses it,
# scaled to the toy: the checkpoints of iterations 150, 225 and 300 walk the
# first 200 training images and the best pseudo-label mIoU wins (VOC: every
# 200 iterations from 1,600 on, all of VOC train; select=None: the last).
_base_ = ['./aeft_gpp_r38tiny_pretrained_toy.py']
# scores the checkpoints (psa_train.select) and makes the labels (psa_walk)
toy_psa_walk = dict(type='PSARandomWalkRefiner', alpha=1, beta=8, logt=2)
stages = dict(
    psa_labels=dict(
        type='AffinityLabelStage',
        split='train',
        nproc=2,
        maker=dict(type='CRFScoreMaker', bg_powers=(2, 21))),
    psa_train=dict(
        type='AffinityTrainStage',
        config='configs/affinity/affinitynet_r38tiny_toy.py',
        labels='psa_labels',
        init_from='train',
        cfg_options=dict(
            default_hooks=dict(
                checkpoint=dict(
                    interval=75, save_begin=150, max_keep_ckpts=-1))),
        select=dict(
            refiner=toy_psa_walk,
            start=150,
            interval=75,
            split='train',
            num_images=200,
            nproc=2)),
    psa_walk=dict(
        type='RefineStage',
        affinity='psa_train',
        nproc=2,
        refiner=toy_psa_walk),
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
    segment=dict(labels='psa_walk'))
