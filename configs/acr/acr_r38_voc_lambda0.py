# Ablation of acr_r38_voc.py: every reconstruction weight 0, i.e. the plain
# ResNet-38d CAM baseline with ACR's head (4096 -> 256 -> 20), augmentation,
# optimiser and seed recipe. With the CU weights 0 the classifier's loss is
# its BCE alone; with the RU weights 0 the reconstructor is not trained (its
# encoder still runs once per iteration in CU, so a step costs more than a
# plain CAM classifier's). The spec's acceptance check: seeds clearly below
# acr_r38_voc.py's.
#   python tools/run_pipeline.py configs/acr/acr_r38_voc_lambda0.py
_base_ = ['./acr_r38_voc.py']
model = dict(
    adversary=dict(
        ru_weights=dict(cls=0.0, full=0.0, t=0.0, nt=0.0),
        cu_weights=dict(t=0.0, nt=0.0)))
