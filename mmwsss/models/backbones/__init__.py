from .resnet38d import ResNet38d, ResNet38dBasicBlock, ResNet38dBottleneck

__all__ = ['ResNet38d', 'ResNet38dBasicBlock', 'ResNet38dBottleneck']
