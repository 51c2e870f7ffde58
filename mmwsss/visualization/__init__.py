from .annotations import draw_boxes, mask_overlay
from .layout import save_rgb_png, stack_rows, tile_row
from .legend import label_legend, present_values, with_background
from .panels import cam_overlay, jet, label_overlay, make_panel

__all__ = [
    'jet', 'cam_overlay', 'label_overlay', 'make_panel', 'tile_row',
    'stack_rows', 'save_rgb_png', 'label_legend', 'with_background',
    'present_values', 'draw_boxes', 'mask_overlay'
]
