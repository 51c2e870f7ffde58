from .annotations import draw_boxes, mask_overlay
from .class_iou_bars import plot_class_iou_bars
from .layout import save_rgb_png, stack_rows, tile_row
from .legend import label_legend, present_values, with_background
from .matplotlib_figures import display_available, new_figure, save_figure
from .panel_grid import plot_panel_grid
from .panels import cam_overlay, jet, label_overlay, make_panel
from .prediction_overlay_hook import PredictionOverlayHook
from .threshold_curve import plot_threshold_curve

__all__ = [
    'jet', 'cam_overlay', 'label_overlay', 'make_panel', 'tile_row',
    'stack_rows', 'save_rgb_png', 'label_legend', 'with_background',
    'present_values', 'draw_boxes', 'mask_overlay', 'new_figure',
    'save_figure', 'display_available', 'plot_threshold_curve',
    'plot_class_iou_bars', 'plot_panel_grid', 'PredictionOverlayHook'
]
