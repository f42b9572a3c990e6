"""errseg demo: a web page to segment your own images with your own class names (Gradio)."""
import argparse

from . import bounded


def add_parser(sub):
    p = sub.add_parser(
        'demo', help='a web page to segment your own images with your own class names',
        description='Serve a Gradio page: upload or paste an image (or pick an example photo), type a '
        'vocabulary or pick a dataset\'s, and see the overlay with its legend, the area per class, the '
        'classes kept by class selection with their scores, and the label map to download. The model '
        'loads once; requests are served one at a time. Without --checkpoint the page runs the tiny '
        'model with random weights (and says so).',
        epilog='examples:\n'
        '  errseg demo                                   # tiny random model, http://127.0.0.1:7860\n'
        '  errseg demo --checkpoint errseg_b.pth --device cuda --port 8080',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', metavar='CKPT',
                   help='an ERR-Seg checkpoint (from `errseg convert-official` or training); default: '
                   'the tiny model with random weights')
    p.add_argument('--config', metavar='CFG',
                   help="model config; default: the checkpoint's (see `errseg infer --help`)")
    p.add_argument('--device', default='cpu', help='cpu (default), cuda, cuda:1, ...')
    p.add_argument('--host', default='127.0.0.1',
                   help='address to serve on (default: 127.0.0.1, this machine only; 0.0.0.0: every interface)')
    p.add_argument('--port', type=bounded(int, 0, 65535, 'a port number in [0, 65535]'), default=7860,
                   help='port (default: 7860; 0: any free port)')
    p.add_argument('--share', action='store_true',
                   help="also serve through a temporary public link (Gradio's share servers); off by default")


def run(args) -> None:
    from ..demo import DemoSession, build_app, launch  # gradio: only when the command runs

    session = DemoSession(args.checkpoint, args.config, device=args.device)
    launch(build_app(session), host=args.host, port=args.port or None, share=args.share)
