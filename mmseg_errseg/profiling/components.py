"""Named components of a model: a partition of its modules (or parameters) by name.

A component is a list of module-name patterns (``*``: one whole dotted segment). A module
belongs to the component matching itself or else its nearest ancestor, so ``decode_head.rrca``
owns the RRCA guidance projections while ``decode_head.rrca.layers.*.spatial`` owns the spatial
blocks inside it. Names matched by no pattern belong to :data:`OTHER`.
"""
import collections
import re
from typing import Dict, Iterable, List, Mapping, Sequence

__all__ = ['OTHER', 'ComponentMap', 'ERRSEG_COMPONENTS', 'ERRSEG_PARAM_GROUPS', 'SAN_COMPONENTS',
           'SAN_PARAM_GROUPS', 'AGGREGATOR_COMPONENTS', 'AGGREGATOR_MODULE']

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
#: The module whose training step is Table 11's memory (the aggregator with its guidance projections).
AGGREGATOR_MODULE = 'decode_head.rrca'
#: Parameter groups: the CLIP image tower (with the os16 downsampling copy), the rest of CLIP, the decoder.
ERRSEG_PARAM_GROUPS = {'visual': ['backbone.clip.visual', 'backbone.os16_downsample'], 'text': ['backbone'],
                       'decoder': ['decode_head']}
#: SAN (MMSeg's MultimodalEncoderDecoder with a SideAdapterCLIPHead).
SAN_COMPONENTS = {'CLIP visual': ['image_encoder'], 'side adapter': ['decode_head.side_adapter_network'],
                  'CLIP recognition': ['decode_head.rec_with_attnbias']}
SAN_PARAM_GROUPS = {'visual': ['image_encoder'], 'text': ['text_encoder'], 'decoder': ['decode_head']}


def _pattern_regex(pattern: str) -> 're.Pattern':
    # '*' is one whole dotted segment (fnmatch's would cross dots)
    segments = ('[^.]+' if seg == '*' else re.escape(seg) for seg in pattern.split('.'))
    return re.compile(r'\.'.join(segments))


class ComponentMap:
    """Assigns dotted names (modules or parameters) to components (name -> list of patterns)."""

    def __init__(self, components: Mapping[str, Sequence[str]]):
        if OTHER in components:
            raise ValueError(f'{OTHER!r} is reserved for names no component matches')
        self.names: List[str] = list(components)
        self._patterns = [(name, _pattern_regex(p)) for name, ps in components.items() for p in ps]
        self._cache: Dict[str, str] = {}

    def component_of(self, name: str) -> str:
        """The component owning ``name`` (its own match, else its nearest matched ancestor)."""
        if name not in self._cache:
            owners = {comp for comp, regex in self._patterns if regex.fullmatch(name)} if name else set()
            if len(owners) > 1:
                raise ValueError(f'{name!r} matches several components: {sorted(owners)}')
            self._cache[name] = owners.pop() if owners else (
                self.component_of(name.rpartition('.')[0]) if name else OTHER)
        return self._cache[name]

    def roots(self, names: Iterable[str]) -> Dict[str, str]:
        """Name -> component of the (module) names whose component differs from their parent's."""
        return {name: self.component_of(name) for name in names
                if name and self.component_of(name) != self.component_of(name.rpartition('.')[0])}

    def partition(self, totals: Mapping[str, float]) -> Dict[str, float]:
        """Per-module inclusive totals (the root is '', e.g. fvcore's ``by_module()``) -> per-component
        exclusive sums, :data:`OTHER` last; they add up to ``totals['']``."""
        children = collections.Counter()
        for name, value in totals.items():
            if name:
                children[name.rpartition('.')[0]] += value
        out = dict.fromkeys([*self.names, OTHER], 0)
        for name, value in totals.items():
            out[self.component_of(name)] += value - children[name]
        return out

    def group_parameters(self, named_parameters: Iterable) -> Dict[str, int]:
        """Count parameters (elements) per component, :data:`OTHER` last (a :meth:`partition` of their sizes:
        no parameter is another's parent)."""
        return self.partition({name: param.numel() for name, param in named_parameters})
