"""Ground-floor ops shared by the models, the refiners, the metrics and the
stages: DenseCRF, label maps from CAMs, box geometry, pixel-pair geometry
and the sparse random walk. Imports nothing of mmwsss."""
from .box_geometry import grid_padding, normalize_boxes
from .cam_ops import cam_peak, cams_to_label
from .dense_crf import dense_crf, dense_crf_labels
from .pair_geometry import (
                            aeft_radius,
                            pair_endpoints,
                            psa_pair_indices,
                            search_directions,
)
from .path_index import (
                            PathIndex,
                            direction_path,
                            edge_to_affinity,
                            path_pair_labels,
)
from .random_walk import propagate, random_walk, transition_matrix

__all__ = [
    'dense_crf', 'cam_peak', 'cams_to_label', 'grid_padding',
    'normalize_boxes', 'search_directions', 'psa_pair_indices',
    'aeft_radius', 'pair_endpoints', 'transition_matrix', 'propagate',
    'random_walk', 'dense_crf_labels', 'PathIndex', 'direction_path',
    'edge_to_affinity', 'path_pair_labels'
]
