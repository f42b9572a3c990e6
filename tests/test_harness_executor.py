"""The executor: recorded runs are skipped, blocked ones reported, a failure does not stop the sweep."""
import pytest

from mmseg_errseg.harness import executor
from mmseg_errseg.harness.executor import ExecutionContext, execute
from mmseg_errseg.harness.planner import Plan, PlanOptions
from mmseg_errseg.harness.record_store import RecordStore
from mmseg_errseg.harness.executor import why_missing
from mmseg_errseg.harness.runs import Run
from mmseg_errseg.harness.scales import SMOKE
from mmseg_errseg.models.clip_finetune import set_clip_finetune


def _plan(*runs):
    return Plan([], {r.key: r for r in runs}, {}, PlanOptions(SMOKE))


def test_order_skips_blocks_failures_and_dependants(tmp_path, monkeypatch):
    good = Run('train', dict(n=1), 'good training', 'good')
    bad = Run('train', dict(n=2), 'bad training', 'bad')
    done = Run('train', dict(n=3), 'recorded training', 'done')
    child = Run('eval', dict(n=4), 'evaluation of the bad model', 'child', deps=(bad.key,))
    ok_child = Run('eval', dict(n=5), 'evaluation of the good model', 'ok', deps=(good.key,))
    blocked = Run('eval', dict(n=6), 'blocked evaluation', 'blocked', reasons=['needs --data-root'])
    store = RecordStore(tmp_path)
    store.write(done, dict(iterations=1), 1.0)
    calls = []

    def dispatch(run, ctx):
        calls.append(run.label)
        if run is bad:
            raise RuntimeError('out of memory')
        return dict(iterations=2)
    monkeypatch.setattr(executor, '_dispatch', dispatch)
    plan = _plan(ok_child, child, blocked, good, bad, done)  # trainings run first whatever the order
    lines = []
    out = execute(plan, ExecutionContext(tmp_path, None, store), lines.append)
    assert calls == ['good training', 'bad training', 'evaluation of the good model']
    assert out.ran == [good.key, ok_child.key] and out.recorded == [done.key] and out.blocked == [blocked.key]
    assert out.failed == {bad.key: 'RuntimeError: out of memory'}
    assert 'bad training, which did not finish' in out.waiting[child.key]
    assert any('FAILED: RuntimeError: out of memory' in line for line in lines)
    reason = why_missing(plan, out)
    assert reason(bad.key) == 'failed: RuntimeError: out of memory'
    assert reason(blocked.key) == 'needs --data-root'
    assert good.key in RecordStore(tmp_path) and bad.key not in RecordStore(tmp_path)


def test_interrupt_stops_the_sweep_and_keeps_what_finished(tmp_path, monkeypatch):
    first, second = Run('eval', dict(n=1), 'first', 'a'), Run('eval', dict(n=2), 'second', 'b')

    def dispatch(run, ctx):
        if run is second:
            raise KeyboardInterrupt
        return dict(metrics=dict(mIoU=1.0))
    monkeypatch.setattr(executor, '_dispatch', dispatch)
    store = RecordStore(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        execute(_plan(first, second), ExecutionContext(tmp_path, None, store), lambda _: None)
    assert set(RecordStore(tmp_path)) == {first.key}


def test_weight_visual_finetunes_the_image_tower_only():
    """Table 3's "Img. ✓ Txt. ×" rows: the official rule on the visual tower, the text tower frozen."""
    from conftest import build_model
    clip = build_model(vocabulary=['a', 'b']).backbone.clip
    set_clip_finetune(clip, 'weight')
    official = {n for n, p in clip.named_parameters() if p.requires_grad}
    set_clip_finetune(clip, 'weight_visual')
    visual = {n for n, p in clip.named_parameters() if p.requires_grad}
    assert visual == {n for n in official if n.startswith('visual.')} and visual
    assert any(n.startswith('transformer.') for n in official)
