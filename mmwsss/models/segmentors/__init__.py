from .crf_seg_tta_model import BANA_DEEPLABV2_CRF, CRFSegTTAModel

__all__ = ['CRFSegTTAModel', 'BANA_DEEPLABV2_CRF']
