"""Learned random-walk refinement (AffinityNet / IRN): the walk from CAMs
and affinities to labels."""
from .network_walk_refiner import NetworkWalkRefiner
from .psa_random_walk_refiner import PSARandomWalkRefiner
from .psa_walk import psa_walk

__all__ = ['psa_walk', 'NetworkWalkRefiner', 'PSARandomWalkRefiner']
