"""Stages that write one file per image of a dataset split."""
from typing import List, Optional

from mmengine.config import Config

from .base_stage import BaseStage
from .cam_inference import build_inference_dataset, image_id


class SplitStage(BaseStage):
    """A stage over one split of the method config's ``test_dataloader``
    dataset (built once), writing ``<img_id><suffix>`` per image.

    Args:
        name (str): stage name.
        split (str, optional): dataset split, e.g. ``'train'``.
        dataset (dict, optional): dataset settings to replace, e.g.
            ``dict(split='trainaug', seg_map_dir='SegmentationClassAug')``.
    """

    def __init__(self,
                 name: str,
                 split: Optional[str] = 'train',
                 dataset: Optional[dict] = None) -> None:
        super().__init__(name)
        self.split, self.overrides = split, dict(dataset or {})

    def datasets(self, cfg: Config) -> list:
        if not hasattr(self, '_dataset'):
            self._dataset = build_inference_dataset(
                cfg, self.split, overrides=self.overrides)
        return [self._dataset]

    def data_list(self, cfg: Config) -> List[dict]:
        """The data infos of the split."""
        dataset = self.datasets(cfg)[0]
        return [dataset.get_data_info(i) for i in range(len(dataset))]

    def file_names(self, cfg: Config, suffix: str) -> List[str]:
        """``<img_id><suffix>`` of every image of the split."""
        return [f'{image_id(info)}{suffix}' for info in self.data_list(cfg)]
