from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from .triplet_erasing_loss import TripletErasingLoss

__all__ = ['MultiLabelSoftMarginLoss', 'TripletErasingLoss']
