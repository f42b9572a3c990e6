"""errseg convert-official SRC DST: official ERR-Seg checkpoint -> mmengine checkpoint."""
from . import CommandError


def add_parser(sub):
    p = sub.add_parser(
        'convert-official', help='convert an official ERR-Seg checkpoint for MMSeg',
        description='Map an official ERR-Seg (detectron2) checkpoint (sem_seg_head.clip_model.*, '
        'sem_seg_head.decoder.*) to this package\'s layout and write an mmengine checkpoint that '
        'mmseg.apis.init_model loads. The CLIP architecture and the decoder dims are read off the '
        'weights; the official evaluation crop of that model (640 for ERR-Seg-B, 768 for ERR-Seg-L) is recorded. '
        'With --config the result is checked against the model that config builds.')
    p.add_argument('src', help='official checkpoint (.pth)')
    p.add_argument('dst', help='output checkpoint (.pth)')
    p.add_argument('--config', help='our config the checkpoint is for (checked key by key and shape by shape)')
    p.add_argument('--vocabulary', default='coco_stuff171',
                   help='vocabulary stored as dataset_meta (default: coco_stuff171, the training set)')


def run(args) -> None:
    import torch

    from ..converters import compare_state_dict, convert_official_checkpoint
    from ..utils import atomic_path, load_config
    from ..vocabularies import load_vocabulary

    state, meta, unmatched = convert_official_checkpoint(args.src)  # a missing file: one line naming it
    info = meta['errseg']
    print(f'CLIP architecture : {info["clip_model_name"]}')
    print(f'decoder           : {info["head_config"]}')
    print(f'evaluation crop   : {info["crop_size"][0]}x{info["crop_size"][1]} (the official eval.sh\'s for this '
          'model; infer/test use it when no config is given)')
    print(f'tensors converted : {len(state)}')
    if unmatched:
        print(f'unmatched official keys ({len(unmatched)}), not written: {", ".join(unmatched)}')
    if args.config:
        from mmengine.registry import init_default_scope
        from mmseg.registry import MODELS
        cfg = load_config(args.config)
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        cfg.model.backbone.pretrained = None
        report = compare_state_dict(state, MODELS.build(cfg.model).state_dict())
        if not report.ok:
            raise CommandError(f'the checkpoint does not fit {args.config}: ' + '; '.join(report.lines()))
        print(f'matches           : {args.config} (every key and shape)')
    meta['dataset_meta'] = dict(classes=tuple(load_vocabulary(args.vocabulary)))
    with atomic_path(args.dst) as tmp:
        torch.save(dict(meta=meta, state_dict=state), tmp)
    print(f'written           : {args.dst}')
