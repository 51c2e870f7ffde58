# Ablation of acr_r38tiny_pretrained_toy.py: every reconstruction weight 0.
# The classifier then trains on its BCE alone (the plain CAM baseline with
# ACR's head, schedule and min-max CAMs) and the reconstructor is not
# trained; the stages are the same, so the toy study compares the two.
#   python tools/run_pipeline.py \
#       configs/acr/acr_r38tiny_pretrained_lambda0_toy.py
_base_ = ['./acr_r38tiny_pretrained_toy.py']
model = dict(
    adversary=dict(
        ru_weights=dict(cls=0.0, full=0.0, t=0.0, nt=0.0),
        cu_weights=dict(t=0.0, nt=0.0)))
