"""Class names to prompts, as the official model embeds them."""
from typing import List, Sequence, Tuple

__all__ = ['DEFAULT_TEMPLATE', 'SYNONYM_MODES', 'build_prompts', 'check_vocabulary']

DEFAULT_TEMPLATE = 'A photo of a {} in the scene'
SYNONYM_MODES = ('first', 'mean')


def check_vocabulary(names: Sequence[str]) -> List[str]:
    """Validate a vocabulary: a non-empty sequence of distinct, non-empty names.

    Names that differ only by case or spaces (``'Cup'``, ``' cup'``) are duplicates: CLIP lower-cases
    and tokenises them alike, so the second could never win a pixel.
    """
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f'a vocabulary is a list of class names, got {type(names).__name__}')
    names = [str(n).strip() for n in names]
    if not names:
        raise ValueError('the vocabulary is empty: give at least one class name')
    empty = [i for i, n in enumerate(names) if not n]
    if empty:
        raise ValueError(f'the vocabulary has empty class names at positions {empty}')
    first, dupes = {}, {}  # dupes: an ordered set
    for i, n in enumerate(names):
        j = first.setdefault(', '.join(' '.join(s.lower().split()) for s in n.split(',')), i)
        if j != i:
            dupes[repr(n) if names[j] == n else f'{names[j]!r} and {n!r}'] = None
    if dupes:
        raise ValueError(f'the vocabulary has duplicate class names: [{", ".join(dupes)}] (case and spaces '
                         'do not tell classes apart)')
    return names


def build_prompts(names: Sequence[str], template: str = DEFAULT_TEMPLATE,
                  synonyms: str = 'first') -> Tuple[List[str], List[int]]:
    """Prompts for a vocabulary, and the class index of each prompt.

    A name like ``'sofa, couch'`` lists synonyms. ``'first'`` (official
    inference) prompts the first synonym only; ``'mean'`` prompts each synonym
    and the caller averages their normalised embeddings per class.
    """
    if synonyms not in SYNONYM_MODES:
        raise ValueError(f'synonyms must be one of {SYNONYM_MODES}, got {synonyms!r}')
    prompts, owner = [], []
    for i, name in enumerate(names):
        parts = name.split(', ')
        for part in parts[:1] if synonyms == 'first' else parts:
            prompts.append(template.format(part))
            owner.append(i)
    return prompts, owner
