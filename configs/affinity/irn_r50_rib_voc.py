# IRN as RIB (Lee et al., "Reducing Information Bottleneck for Weakly
# Supervised Semantic Segmentation", NeurIPS 2021, arXiv:2110.06530; official
# code github.com/jbeomlee93/RIB) and ACR train it: the same network, data
# and schedule as irn_r50_irn_voc.py (RIB's step/train_irn.py is IRN's).
# RIB's differences belong to the other stages, not to this config:
#   - IR labels (IRLabelMaker): fg / bg thresholds 0.35 / 0.17 (IRN
#     0.30 / 0.05), from RIB's CAMs;
#   - random walk (IRNRandomWalkRefiner): CAM power 1.3 before the walk and
#     semantic background threshold 0.27 (IRN 1 and 0.25; COCO 0.22), walk
#     over the train_aug list; beta 10, exp_times 8, radius 5 as IRN.
_base_ = ['./irn_r50_irn_voc.py']
