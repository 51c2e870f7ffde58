"""Stage runners behind ``tools/infer_cams.py``,
``tools/make_pseudo_labels.py``, ``tools/make_box_pseudo_labels.py`` (and
the pipeline runner)."""
from .box_pseudo_labels import (evaluate_box_pseudo_labels,
                                make_box_pseudo_labels)
from .cam_inference import (build_inference_dataset, evaluate_cams, infer_cams,
                            load_model, resolve_shard, shard)
from .io import (atomic_write, atomic_write_json, cam_file_ok, load_cams,
                 read_rgb, remove_temporaries, save_cams, save_label_png)
from .pseudo_labels import (build_refiner, evaluate_pseudo_labels,
                            make_pseudo_labels)

__all__ = [
    'infer_cams', 'evaluate_cams', 'build_inference_dataset', 'load_model',
    'resolve_shard', 'shard', 'make_pseudo_labels', 'evaluate_pseudo_labels',
    'build_refiner', 'atomic_write', 'atomic_write_json', 'remove_temporaries',
    'save_cams', 'load_cams', 'cam_file_ok', 'save_label_png', 'read_rgb',
    'make_box_pseudo_labels', 'evaluate_box_pseudo_labels'
]
