"""ERR-Seg-B network forward, this checkout against another revision, interleaved in one run.

Each side runs in its own worker process with its checkout first on PYTHONPATH;
both build ERR-Seg-B with the same (random) weights, cache the benchmark's text
embeddings and time ``model.decode`` (backbone + head, batch 1, float32) on the
same input. The driver alternates the sides run by run (ABBA order), so load
from other processes on the machine hits both alike, and reports per benchmark
the latencies, old/new ratios (of the medians, of the minima, and the median
of the paired ratios), the largest logit difference, whether the kept classes
agree, and the process peak RSS after the first benchmark. With
``--reuse-freed-memory`` both sides first apply this checkout's
``mmseg_errseg.runtime.reuse_freed_memory`` (as the ``errseg`` CLI does), so
the ratio is of the code under the CLI's runtime.

Usage (from the repository root; OLD is a checkout of the other revision, e.g.
made with ``git worktree add OLD REV``)::

    python benchmarks/compare_forward.py OLD --runs 7 --warmup 2 --threads 2 \\
        --out benchmarks/results/forward_vs_REV.json
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = 'configs/_base_/models/errseg_convnext-b.py'
#: name -> (vocabulary, P at test)
BENCHMARKS = {'A-847': ('ade847', 48), 'A-150': ('ade150', 32)}


# ---------------------------------------------------------------- worker (one per side)
def _worker(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    if args.reuse_freed_memory:  # this checkout's runtime.py on both sides (it imports nothing of the package)
        import importlib.util
        spec = importlib.util.spec_from_file_location('runtime', REPO / 'mmseg_errseg' / 'runtime.py')
        runtime = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runtime)
        if not runtime.reuse_freed_memory():
            raise SystemExit('--reuse-freed-memory needs Linux with glibc')
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import mmseg_errseg
    from mmseg_errseg.vocabularies import load_vocabulary
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(Path(args.checkout) / CONFIG))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    weights = Path(args.weights)
    if weights.exists():
        model.load_state_dict(torch.load(weights, map_location='cpu', weights_only=True))
    else:
        torch.save(model.state_dict(), weights)
    image = torch.randn(1, 3, *model.crop_size, generator=torch.Generator().manual_seed(1))

    def reply(**msg):
        print(json.dumps(msg), flush=True)

    reply(ready=True, package=mmseg_errseg.__file__, rss_mib=_peak_rss_mib())
    current = None
    for line in sys.stdin:
        cmd = json.loads(line)
        vocab, p = BENCHMARKS[cmd['bench']]
        with torch.inference_mode():
            if current != vocab:
                current, model.vocabulary = vocab, load_vocabulary(vocab)
                model.text_embeddings()  # cached from here on
            start = time.perf_counter()
            logits, kept = model.decode(image, p)
            seconds = time.perf_counter() - start
        if cmd.get('save'):
            torch.save(dict(logits=logits, kept=kept), cmd['save'])
        reply(seconds=seconds, rss_mib=_peak_rss_mib())


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- driver
class _Side:
    def __init__(self, name: str, checkout: Path, weights: Path, threads: int, reuse_freed_memory: bool):
        env = dict(os.environ, PYTHONPATH=str(checkout), OMP_NUM_THREADS=str(threads))
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, __file__, '--worker', '--checkout', str(checkout), '--weights', str(weights),
             '--threads', str(threads)] + ['--reuse-freed-memory'] * reuse_freed_memory,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=str(checkout))
        self.info = self._read()
        if not self.info['package'].startswith(str(checkout)):
            raise SystemExit(f'{name}: imported {self.info["package"]}, not the checkout {checkout}')

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f'{self.name}: worker exited (code {self.proc.wait()})')
        return json.loads(line)

    def run(self, bench: str, save: str = None) -> dict:
        self.proc.stdin.write(json.dumps(dict(bench=bench, save=save)) + '\n')
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _revision(checkout: Path) -> str:
    def git(*a):
        return subprocess.run(['git', '-C', str(checkout), *a], capture_output=True, text=True).stdout.strip()
    rev = git('rev-parse', '--short', 'HEAD')
    return rev + (' (with uncommitted changes)' if git('status', '--porcelain', '--untracked-files=no') else '')


def _cpu() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('old', nargs='?', help='checkout of the revision to compare against')
    parser.add_argument('--runs', type=int, default=7, help='timed runs per side and benchmark')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs per side and benchmark')
    parser.add_argument('--threads', type=int, default=2, help='torch threads of each side')
    parser.add_argument('--benchmarks', default=','.join(BENCHMARKS), help='comma-separated')
    parser.add_argument('--reuse-freed-memory', action='store_true',
                        help="both sides keep freed memory in the heap (the errseg CLI's runtime)")
    parser.add_argument('--out', help='write the JSON record here')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--checkout', help=argparse.SUPPRESS)
    parser.add_argument('--weights', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args)
    if not args.old or not (Path(args.old) / CONFIG).is_file():
        parser.error(f'OLD must be a checkout of mmseg-errseg (with {CONFIG}), got {args.old!r}')
    benches = args.benchmarks.split(',')
    unknown = [b for b in benches if b not in BENCHMARKS]
    if unknown:
        parser.error(f'unknown benchmarks {unknown}; choose from {list(BENCHMARKS)}')

    import torch
    tmp = Path(tempfile.mkdtemp(prefix='compare_forward_'))
    weights = tmp / 'weights.pth'
    new = _Side('new', REPO, weights, args.threads, args.reuse_freed_memory)  # builds and saves the shared weights
    old = _Side('old', Path(args.old).resolve(), weights, args.threads, args.reuse_freed_memory)
    record = dict(command='python benchmarks/compare_forward.py OLD ' + ' '.join(
                      f'--{k} {getattr(args, k)}' for k in ('runs', 'warmup', 'threads', 'benchmarks'))
                  + ' --reuse-freed-memory' * args.reuse_freed_memory,
                  revision=dict(new=_revision(REPO), old=_revision(Path(args.old))),
                  torch=torch.__version__, torch_threads=args.threads, cpu=_cpu(),
                  cpu_count=os.cpu_count(), reuse_freed_memory=args.reuse_freed_memory, model=CONFIG, batch=1, dtype='float32', text='cached',
                  timed='model.decode (CLIP encoder + ERR-Seg head)', benchmarks={})
    try:
        for bench in benches:
            for _ in range(args.warmup):
                for side in (new, old):
                    side.run(bench)
            times = {'new': [], 'old': []}
            for i in range(args.runs):
                order = (new, old) if i % 2 == 0 else (old, new)
                for side in order:
                    save = str(tmp / f'{side.name}.pth') if i == 0 else None
                    reply = side.run(bench, save)
                    times[side.name].append(reply['seconds'])
                    if i == 0:
                        times.setdefault('rss', {})[side.name] = reply['rss_mib']
            a, b = (torch.load(tmp / f'{s}.pth', weights_only=True) for s in ('old', 'new'))
            med = {s: statistics.median(times[s]) for s in ('new', 'old')}
            result = dict(
                vocabulary=BENCHMARKS[bench][0], num_selected=BENCHMARKS[bench][1],
                seconds=dict(new=times['new'], old=times['old']),
                median_s=med, min_s={s: min(times[s]) for s in ('new', 'old')},
                speedup_of_medians=med['old'] / med['new'],
                speedup_of_minima=min(times['old']) / min(times['new']),
                speedup_paired=dict(min=min(o / n for o, n in zip(times['old'], times['new'])),
                                    median=statistics.median(o / n for o, n in zip(times['old'], times['new']))),
                max_abs_logit_diff=(a['logits'] - b['logits']).abs().max().item(),
                kept_identical=bool(torch.equal(a['kept'], b['kept'])),
                peak_rss_mib_after=times['rss'])
            record['benchmarks'][bench] = result
            print(f"{bench}: new {med['new']:.2f} s, old {med['old']:.2f} s (medians), "
                  f"speed-up {result['speedup_of_medians']:.3f}x (paired: min {result['speedup_paired']['min']:.3f}, "
                  f"median {result['speedup_paired']['median']:.3f}), max |logit diff| "
                  f"{result['max_abs_logit_diff']:.2e}, kept identical: {result['kept_identical']}, "
                  f"peak RSS MiB {times['rss']}", flush=True)
    finally:
        new.close()
        old.close()
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
