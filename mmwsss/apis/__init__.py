"""High-level entry points: the pipeline runner over a config's stages and
single-image CAM inference."""
from .inference import inference_cams, init_model
from .pipeline_runner import PipelineRunner, build_stages

__all__ = ['PipelineRunner', 'build_stages', 'init_model', 'inference_cams']
