"""A digest of the weights in a checkpoint file, not of its bytes.

Two ``torch.save`` calls on the same tensors write different bytes (the
archive holds a random serialization id) and mmengine checkpoints also hold
the save time, so a file hash cannot tell whether two trunks are the same.
The digest covers the state dict only: every key with its dtype, shape and
values, in key order.
"""
import functools
import hashlib
import os

import torch

from mmwsss.utils.checksum import sha256_file


def weights_digest(path: str) -> str:
    """16 hex digits of the SHA-256 over the state dict in ``path`` (its
    ``state_dict`` entry, or the file itself when that maps names to
    tensors); a file that does not load as one is digested by its bytes.
    Cached per (path, size, mtime)."""
    stat = os.stat(path)
    return _digest(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    try:  # the file the training run loads anyway; mmengine checkpoints
        # hold message-hub objects, which weights_only=True refuses
        checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    except Exception:  # not a torch file (a converter's input, say)
        return sha256_file(path)[:16]
    state = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        return sha256_file(path)[:16]
    digest = hashlib.sha256()
    for key in sorted(state):
        tensor = state[key].detach().contiguous()
        digest.update(f'{key}:{tensor.dtype}:{tuple(tensor.shape)}'.encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]
