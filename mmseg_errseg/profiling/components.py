"""Named components of a model: a partition of its modules (or parameters) by name.

A component is declared as module-name patterns (``*`` stands for one whole
dotted segment, e.g. ``decode_head.rrca.layers.*.spatial``). Every
module belongs to the component whose pattern matches its nearest ancestor (or
itself); the most specific match wins. So ``decode_head.rrca`` can own the RRCA
guidance projections while ``decode_head.rrca.layers.*.spatial`` owns the
spatial blocks inside it, and the components never overlap. Names matched by no
pattern belong to :data:`OTHER`.
"""
import re
from typing import Dict, Iterable, List, Mapping, Optional, Sequence

__all__ = ['OTHER', 'ComponentMap', 'ERRSEG_COMPONENTS', 'ERRSEG_PARAM_GROUPS', 'SAN_COMPONENTS',
           'SAN_PARAM_GROUPS', 'AGGREGATOR_COMPONENTS']

OTHER = 'other'

#: ERR-Seg, in the order of the paper's figure.
ERRSEG_COMPONENTS = {
    'CLIP visual': ['backbone'],
    'RRHC': ['decode_head.rrhc'],
    'RRCA guidance': ['decode_head.rrca'],
    'RRCA spatial': ['decode_head.rrca.layers.*.spatial'],
    'RRCA class': ['decode_head.rrca.layers.*.classes'],
    'upsampling decoder': ['decode_head.decoder'],
}
#: The aggregator of Table 11: the RRCA layers (spatial and class blocks).
AGGREGATOR_COMPONENTS = ('RRCA spatial', 'RRCA class')
#: Parameter groups of ERR-Seg: the CLIP image tower (with the os16 downsampling copy),
#: the rest of CLIP (text tower, logit scale), the decoder.
ERRSEG_PARAM_GROUPS = {
    'visual': ['backbone.clip.visual', 'backbone.os16_downsample'],
    'text': ['backbone'],
    'decoder': ['decode_head'],
}
#: SAN (MMSeg's MultimodalEncoderDecoder with a SideAdapterCLIPHead).
SAN_COMPONENTS = {
    'CLIP visual': ['image_encoder'],
    'side adapter': ['decode_head.side_adapter_network'],
    'CLIP recognition': ['decode_head.rec_with_attnbias'],
}
SAN_PARAM_GROUPS = {
    'visual': ['image_encoder'],
    'text': ['text_encoder'],
    'decoder': ['decode_head'],
}


def _pattern_regex(pattern: str) -> 're.Pattern':
    # '*' is one whole dotted segment (fnmatch's would cross dots)
    segments = ('[^.]+' if seg == '*' else re.escape(seg) for seg in pattern.split('.'))
    return re.compile(r'\.'.join(segments))


class ComponentMap:
    """Assigns dotted names (modules or parameters) to components.

    Args:
        components: Component name -> list of patterns. An empty mapping puts
            everything in :data:`OTHER`.
    """

    def __init__(self, components: Mapping[str, Sequence[str]]):
        if OTHER in components:
            raise ValueError(f'{OTHER!r} is reserved for names no component matches')
        self.names: List[str] = list(components)
        self._patterns = [(name, _pattern_regex(p)) for name, ps in components.items() for p in ps]
        self._cache: Dict[str, str] = {}

    def _own(self, name: str) -> Optional[str]:
        owners = {comp for comp, regex in self._patterns if regex.fullmatch(name)}
        if len(owners) > 1:
            raise ValueError(f'{name!r} matches several components: {sorted(owners)}')
        return owners.pop() if owners else None

    def component_of(self, name: str) -> str:
        """The component owning ``name`` (its own match, else its nearest matched ancestor)."""
        if name not in self._cache:
            own = self._own(name) if name else None
            if own is None:
                parent = name.rpartition('.')[0]
                own = self.component_of(parent) if name else OTHER
            self._cache[name] = own
        return self._cache[name]

    def roots(self, names: Iterable[str]) -> Dict[str, str]:
        """The names whose component differs from their parent's: where components begin.

        Args:
            names: Dotted module names ('' for the root is implied).

        Returns:
            Name -> component, for every boundary (timing hooks go there).
        """
        out = {}
        for name in names:
            if not name:
                continue
            comp = self.component_of(name)
            if comp != self.component_of(name.rpartition('.')[0]):
                out[name] = comp
        return out

    def partition(self, totals: Mapping[str, float]) -> Dict[str, float]:
        """Split per-module inclusive totals into per-component exclusive sums.

        Args:
            totals: Inclusive total of every module (the root is ''), e.g.
                fvcore's ``by_module()``. A module's own share is its total minus
                its direct children's.

        Returns:
            Component -> sum, with :data:`OTHER` last; the values add up to ``totals['']``.
        """
        children: Dict[str, float] = {}
        for name, value in totals.items():
            if name:
                parent = name.rpartition('.')[0]
                children[parent] = children.get(parent, 0) + value
        out = {name: 0 for name in self.names}
        out[OTHER] = 0
        for name, value in totals.items():
            own = value - children.get(name, 0)
            out[self.component_of(name)] += own
        return out

    def group_parameters(self, named_parameters: Iterable) -> Dict[str, int]:
        """Count parameters (elements) per component, :data:`OTHER` last."""
        out = {name: 0 for name in self.names}
        out[OTHER] = 0
        for name, param in named_parameters:
            out[self.component_of(name)] += param.numel()
        return out
