"""Affinity networks that refine CAMs by a learned random walk."""
from .affinity_net import AffinityNet
from .irnet import IRNet

__all__ = ['AffinityNet', 'IRNet']
