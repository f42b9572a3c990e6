"""errseg check-golden FILE: conformance of our decoder against official outputs."""


def add_parser(sub):
    p = sub.add_parser(
        'check-golden', help='run our decoder on a golden file of the official implementation',
        description='Convert the official decoder state dict stored in FILE, run our ERR-Seg head on '
        "FILE's inputs with FILE's config, and compare with the official logits and kept classes. "
        'Exit status 0 only if max |logit difference| <= ATOL and the kept classes are identical.')
    p.add_argument('file', help='golden .pt file (official state_dict, config, inputs, outputs)')
    p.add_argument('--atol', type=float, default=1e-4, help='tolerance on logits (default: 1e-4)')


def run(args) -> int:
    from ..conformance import check_golden
    report = check_golden(args.file, atol=args.atol)
    print(report.summary())
    return 0 if report.passed else 1
