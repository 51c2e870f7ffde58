from .panels import cam_overlay, jet, label_overlay, make_panel

__all__ = ['jet', 'cam_overlay', 'label_overlay', 'make_panel']
