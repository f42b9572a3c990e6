"""errseg infer IMAGE_OR_DIR...: segment one's own images with one's own vocabulary."""
import argparse
import sys
import warnings

from . import CommandError, bounded, cfg_options, positive_int


def add_parser(sub):
    p = sub.add_parser(
        'infer', help='segment your own images with your own class names',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description='Segment images with an ERR-Seg checkpoint and any vocabulary. Per image NAME, '
        'OUT gets:\n'
        '  NAME_overlay.png  the image coloured by class, with a legend of the classes present\n'
        '  NAME_labels.png   the label map: pixel value i = the i-th class of the vocabulary\n'
        '                    (8-bit PNG up to 256 classes, else 16-bit)\n'
        '  NAME_areas.csv    class_index, class_name, pixels, fraction for every class\n'
        'Each file is written whole (via a temporary file) as soon as its image is done.',
        epilog='examples:\n'
        '  errseg infer photo.jpg --vocab "cat, grass, sky" --checkpoint errseg_b.pth\n'
        '  errseg infer photos/ --vocab "cat; sofa, couch; floor" --checkpoint errseg_b.pth --out seg/\n'
        '  errseg infer photos/ --vocab-file ade150 --checkpoint errseg_l.pth --num-selected 64 '
        '--device cuda')
    p.add_argument('inputs', nargs='+', metavar='IMAGE_OR_DIR',
                   help='image files, and folders whose images (.jpg, .png, ...; not recursive) '
                   'are all segmented')
    vocab = p.add_mutually_exclusive_group(required=True)
    vocab.add_argument('--vocab', metavar='NAMES',
                       help='class names separated by commas ("cat, grass, sky"); to give a class '
                       'synonyms, separate classes by semicolons and synonyms by commas ("cat; sofa, '
                       'couch; floor" is 3 classes). Label i of every output is the i-th class')
    vocab.add_argument('--vocab-file', metavar='FILE',
                       help='one class per line (synonyms separated by ", "), a JSON list of names, or '
                       'a shipped vocabulary: ade150, ade847, coco_stuff171, pc459, pc59, voc20')
    p.add_argument('--checkpoint', required=True, metavar='CKPT',
                   help='an ERR-Seg checkpoint (from `errseg convert-official` or training)')
    p.add_argument('--config', metavar='CFG',
                   help='model config; default: the one saved in the checkpoint, or the base config of '
                   'the architecture `errseg convert-official` recorded')
    p.add_argument('--out', default='work_dirs/infer', metavar='DIR', help='output folder (default: %(default)s)')
    p.add_argument('--num-selected', type=positive_int, metavar='P',
                   help="classes kept per image (default: the config's test_cfg.num_selected); a P "
                   'larger than the vocabulary is clamped to it with a warning')
    p.add_argument('--device', default='cpu', help='cpu (default), cuda, cuda:1, ...')
    p.add_argument('--opacity', type=bounded(float, 0, 1, 'a number in [0, 1]'), default=0.5,
                   help='weight of the class colours (default: 0.5)')
    p.add_argument('--batch-size', type=positive_int, default=1, metavar='N',
                   help='images per forward pass (default: 1)')
    p.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE',
                   help="config overrides, e.g. model.crop_size='(768,768)'")
    p.add_argument('--skip-bad', action='store_true',
                   help='skip images that cannot be read or decoded, segment the others, list the skipped ones '
                   'at the end and exit with status 1 (default: stop at the first)')
    p.add_argument('--skipped-ok', action='store_true', help='with --skip-bad: exit with status 0 all the same')


def run(args) -> int:
    from pathlib import Path

    from ..apis.files import check_unique_names, collect_images
    from ..models.prompts import check_vocabulary
    from ..vocabularies import load_vocabulary, parse_vocab

    if args.skipped_ok and not args.skip_bad:
        raise CommandError('--skipped-ok applies with --skip-bad only')
    # everything the user typed is checked before the model is built
    vocabulary = check_vocabulary(parse_vocab(args.vocab) if args.vocab is not None
                                  else load_vocabulary(args.vocab_file))
    images = collect_images(args.inputs)
    check_unique_names([Path(p).stem for p in images], images)

    with warnings.catch_warnings():
        warnings.simplefilter('default')
        warnings.showwarning = lambda message, *_, **__: print(f'errseg infer: warning: {message}', file=sys.stderr)
        from ..apis import ERRSegInferencer
        inferencer = ERRSegInferencer(args.config, weights=args.checkpoint, vocabulary=vocabulary,
                                      num_selected=args.num_selected, device=args.device,
                                      cfg_options=cfg_options(args.cfg_options))
        count, skipped = 0, [] if args.skip_bad else None
        for result in inferencer.iter_results(images, batch_size=args.batch_size, out_dir=args.out,
                                              opacity=args.opacity, skipped=skipped):
            count += 1
            if len(images) == 1:
                top = sorted(result.legend, key=lambda e: -e.fraction)
                shown = ', '.join(f'{e.name} {100 * e.fraction:.1f}%' for e in top[:5])
                more = f' (+{len(top) - 5} more)' if len(top) > 5 else ''
                print(f'{result.source}: {shown}{more}')
    print(f'{count} image(s), {len(vocabulary)} classes -> {args.out}/NAME_overlay.png, '
          'NAME_labels.png, NAME_areas.csv')
    for error in skipped or ():
        print(f'errseg infer: skipped: {error}', file=sys.stderr)
    if skipped:
        print(f'errseg infer: {len(skipped)} image(s) skipped', file=sys.stderr)
    return 1 if skipped and not args.skipped_ok else 0
