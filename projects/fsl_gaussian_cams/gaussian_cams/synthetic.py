"""Synthetic scenes with a known object, for runs without data and tests."""
import numpy as np

from .sample import GaussianCamSample


def synthetic_sample(kind: str = 'mallet', seed: int = 0) -> GaussianCamSample:
    """A synthetic scene with a known object (a stand-in for real data).

    ``'mallet'``: 38×50, background ``(0.35 + 0.15·col/50, 0.55 -
    0.10·row/38, 0.40)``, object = the ellipse ((row-20)/9)² +
    ((col-18)/11)² ≤ 1 plus the bar rows 16-22 × cols 18-41, colour
    (0.80, 0.25, 0.20); ``'disc'``: 24×24, a bright (0.9) disc of radius 7
    centred at (11, 13) on a dark (0.1) background. Both with i.i.d.
    Gaussian noise of std 0.03, clipped to [0, 1].
    """
    rng = np.random.default_rng(seed)
    if kind == 'mallet':
        h, w = 38, 50
        row, col = np.mgrid[0:h, 0:w].astype(np.float64)
        image = np.stack([
            0.35 + 0.15 * col / 50, 0.55 - 0.10 * row / 38,
            np.full((h, w), 0.40)
        ], -1)
        obj = (((row - 20) / 9)**2 + ((col - 18) / 11)**2 <= 1) | (
            (row >= 16) & (row <= 22) & (col >= 18) & (col <= 41))
        image[obj] = (0.80, 0.25, 0.20)
    elif kind == 'disc':
        h, w = 24, 24
        row, col = np.mgrid[0:h, 0:w].astype(np.float64)
        obj = (row - 11)**2 + (col - 13)**2 <= 49
        image = np.where(obj[..., None], 0.9, 0.1) * np.ones(3)
    else:
        raise ValueError(f'kind must be "mallet" or "disc", got {kind!r}')
    image = np.clip(image + rng.normal(0, 0.03, image.shape), 0, 1)
    return GaussianCamSample(
        sample_id=f'synthetic_{kind}',
        img_id=f'synthetic_{kind}',
        label=0,
        class_name=kind,
        gt=obj.astype(np.uint8),
        image=image.astype(np.float32))
