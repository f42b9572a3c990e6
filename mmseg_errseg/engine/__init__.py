from .optim_constructor import ERRSegOptimWrapperConstructor
from .vocabulary_hook import VocabularyHook

__all__ = ['VocabularyHook', 'ERRSegOptimWrapperConstructor']
