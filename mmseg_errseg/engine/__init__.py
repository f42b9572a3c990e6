from .optim_constructor import ERRSegOptimWrapperConstructor
from .random_state_hook import RandomStateHook
from .vocabulary_hook import VocabularyHook

__all__ = ['ERRSegOptimWrapperConstructor', 'RandomStateHook', 'VocabularyHook']
