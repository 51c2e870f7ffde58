default_scope = 'mmwsss'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# scalars.json in <work_dir>/<timestamp>/vis_data (tools/analysis/
# analyze_logs.py reads it). To log to TensorBoard as well (pip install -e
# .[tensorboard]; then tensorboard --logdir work_dirs/<config stem>), set in
# a config
#   visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                   dict(type='TensorboardVisBackend')])
# or on the command line of tools/train.py (or tools/test.py), backends
# by type name (mmwsss turns them into dicts):
#   --cfg-options \
#     'visualizer.vis_backends=[LocalVisBackend,TensorboardVisBackend]'
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
custom_hooks = [dict(type='FiniteLossCheckHook')]
# Iteration-based runs everywhere: configs override only what differs
# (checkpoint interval, max_keep_ckpts, save_best, logger interval).
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=2000,
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
