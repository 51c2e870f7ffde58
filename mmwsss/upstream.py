"""Import the mmseg and mmpretrain modules that register components.

Every mmwsss registry lists this module in its ``locations``: a child
registry's lookup does not trigger the parent's lazy imports, so without it
names such as ``SegLocalVisualizer`` or ``mmpretrain.PackInputs`` would be
missing.
"""
import mmpretrain.datasets  # noqa: F401
import mmpretrain.engine  # noqa: F401
import mmpretrain.evaluation  # noqa: F401
import mmpretrain.models  # noqa: F401
import mmpretrain.structures  # noqa: F401
import mmseg.datasets  # noqa: F401
import mmseg.engine  # noqa: F401
import mmseg.evaluation  # noqa: F401
import mmseg.models  # noqa: F401
import mmseg.structures  # noqa: F401
import mmseg.visualization  # noqa: F401
