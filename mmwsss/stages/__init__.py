"""The registered pipeline stages and the bodies they run (CAM inference,
refinement into pseudo labels, box pseudo labels), shared by the runner
and the standalone tools."""
from .affinity_label_stage import AffinityLabelStage
from .affinity_train_stage import AffinityTrainStage
from .base_stage import BaseStage, StageContext
from .box_label_stage import BoxLabelStage
from .box_pseudo_labels import (
                                evaluate_box_pseudo_labels,
                                make_box_pseudo_labels,
)
from .cam_inference import (
                                build_inference_dataset,
                                evaluate_cams,
                                infer_cams,
                                load_model,
                                resolve_shard,
                                shard,
)
from .cam_stage import CAMStage
from .config_train_stage import ConfigTrainStage
from .pseudo_labels import (
                                build_refiner,
                                evaluate_pseudo_labels,
                                make_pseudo_labels,
)
from .refine_stage import RefineStage
from .segment_stage import SegmentStage
from .split_stage import SplitStage
from .train_stage import TrainStage

__all__ = [
    'BaseStage', 'SplitStage', 'StageContext', 'TrainStage', 'CAMStage',
    'RefineStage', 'AffinityLabelStage', 'AffinityTrainStage',
    'ConfigTrainStage', 'BoxLabelStage', 'SegmentStage', 'infer_cams',
    'evaluate_cams',
    'build_inference_dataset', 'load_model', 'resolve_shard', 'shard',
    'make_pseudo_labels', 'evaluate_pseudo_labels', 'build_refiner',
    'make_box_pseudo_labels', 'evaluate_box_pseudo_labels'
]
