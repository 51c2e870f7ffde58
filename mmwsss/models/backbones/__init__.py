from .resnet38d import ResNet38d
from .resnet38d_blocks import ResNet38dBasicBlock, ResNet38dBottleneck
from .resnet50_stages import ResNet50Stages
from .vgg16_largefov import VGG16LargeFOV

__all__ = [
    'ResNet38d', 'ResNet38dBasicBlock', 'ResNet38dBottleneck', 'VGG16LargeFOV',
    'ResNet50Stages'
]
