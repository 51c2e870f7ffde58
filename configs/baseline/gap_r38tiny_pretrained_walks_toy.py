# GAP CAMs on the toy set refined three ways in one work dir, on the same
# CAMs: DenseCRF (`refine`, from the base config), AffinityNet's random walk
# (`psa_*`: CRF score pairs -> AffinityNet -> walk) and IRN's (`irn_*`: IR
# labels -> IRN class boundaries -> walk). The DeepLab stage trains on the
# AffinityNet walk's labels (--cfg-options stages.segment.labels=irn_walk
# or =refine to switch).
# Toy settings, not VOC's: the toy's CAM grids are 12 x 12 (stride 8) and
# 24 x 24 (stride 4) cells against ~47 x 63 and ~94 x 125 on VOC, so the
# walks take far fewer steps (psa logt 2, IRN exp_times 2); the IR-label
# thresholds (0.6 / 0.3) and IRN's background score (0.55) sit around the
# toy CAMs' best background threshold (0.55) instead of VOC's (~0.15). On
# the first 400 training images (seed 0, the earlier toy trunk): IR labels
# 80 % foreground precision / 78 % recall (VOC's 0.30 / 0.05: 41 / 98); IRN
# walk 62.7 mIoU (VOC settings: 15.7); psa walk 56.8 (VOC settings: 42.5).
# The ACR toy config repeats the IRN stages (a test keeps them equal).
_base_ = ['./gap_r38tiny_pretrained_toy.py']
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
        init_from='train'),
    psa_walk=dict(
        type='RefineStage',
        affinity='psa_train',
        nproc=2,
        refiner=dict(type='PSARandomWalkRefiner', alpha=1, beta=8, logt=2)),
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
