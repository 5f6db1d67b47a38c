"""The Learn window: a convolution stepper and a kernel lab, for the arithmetic behind the blocks."""
from .window import LearnWindow

__all__ = ["LearnWindow"]
