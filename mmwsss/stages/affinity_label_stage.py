"""Training labels of an affinity network, cut from the CAMs."""
from mmengine.config import Config

from mmwsss.registry import STAGES
from .refine_stage import RefineStage


@STAGES.register_module()
class AffinityLabelStage(RefineStage):
    """Write ``<name>/labels/<img_id><suffix>`` for every image of a split
    with a label maker (``TASK_UTILS``): ``CRFScoreMaker`` (AffinityNet:
    ``.npz`` with the low / high background-power CRF posteriors) or
    ``IRLabelMaker`` (IRN: ``.png`` with 0 background, class + 1 and 255
    unsure, scored like pseudo labels on the images with ground truth).
    The affinity-training stage reads the folder.

    Args:
        name (str): stage name.
        maker (dict): the label maker config.
        split (str): dataset split (the CAM stage's). Default: ``'train'``.
        dataset (dict, optional): dataset settings to replace.
        metric (dict, optional): ``PseudoLabelMetric`` arguments (PNG
            makers only).
        cams (str): the upstream stage with the CAMs. Default: ``'cams'``.
        nproc (int): worker processes (does not change the labels).
    """

    def __init__(self,
                 name: str,
                 maker: dict = None,
                 split: str = 'train',
                 dataset: dict = None,
                 metric: dict = None,
                 cams: str = 'cams',
                 nproc: int = 1) -> None:
        super().__init__(
            name,
            refiner=maker or dict(type='CRFScoreMaker'),
            split=split,
            dataset=dataset,
            metric=metric,
            cams=cams,
            nproc=nproc)

    OUT_DIR = 'labels'

    def settings(self, cfg: Config) -> dict:
        settings = super().settings(cfg)
        settings['maker'] = settings.pop('refiner')
        return settings
