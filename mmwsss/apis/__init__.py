"""High-level entry points: the pipeline runner over a config's stages."""
from .pipeline_runner import PipelineRunner, build_stages

__all__ = ['PipelineRunner', 'build_stages']
