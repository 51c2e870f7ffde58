"""Learned random-walk refinement (AffinityNet / IRN): the walks from CAMs
and affinities (or a boundary map) to labels, and the refiners that run
them with a trained network."""
from .irn_random_walk_refiner import IRNRandomWalkRefiner, lowres_cams
from .irn_walk import edge_from_logits, irn_propagate, irn_semantic_label
from .network_walk_refiner import NetworkWalkRefiner
from .psa_random_walk_refiner import PSARandomWalkRefiner
from .psa_walk import psa_walk

__all__ = [
    'psa_walk', 'NetworkWalkRefiner', 'PSARandomWalkRefiner',
    'IRNRandomWalkRefiner', 'lowres_cams', 'edge_from_logits',
    'irn_propagate', 'irn_semantic_label'
]
