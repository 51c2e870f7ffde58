"""Learned random-walk refinement (AffinityNet / IRN): the walk from CAMs
and affinities to labels."""
from .psa_walk import psa_walk

__all__ = ['psa_walk']
