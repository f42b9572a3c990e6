from .random_state_hook import RandomStateHook
from .vocabulary_hook import VocabularyHook

__all__ = ['RandomStateHook', 'VocabularyHook']
