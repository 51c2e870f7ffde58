from .crf_seg_tta_model import BANA_DEEPLABV2_CRF, CRFSegTTAModel, dense_crf

__all__ = ['CRFSegTTAModel', 'BANA_DEEPLABV2_CRF', 'dense_crf']
