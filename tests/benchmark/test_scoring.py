from types import SimpleNamespace

from genbench.benchmark import scoring


def test_progress_rate_restarts_with_each_part(monkeypatch):
    """Two parts of 100 images at 10 img/s with a 5 s pause between them: each line gives 10 img/s
    and the seconds left of its own part (the rate once counted from the first part's start)."""
    clock = [0.0]
    monkeypatch.setattr(scoring.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(scoring, "PROGRESS_EVERY", 4.0)
    lines = []
    progress = scoring._progress(SimpleNamespace(log=lines.append), "features")
    for pause in (0.0, 5.0):
        clock[0] += pause
        for done in range(10, 101, 10):
            clock[0] += 1.0
            progress(done, 100)
    assert lines == [f"scoring: features {done}/100 images, 10.0 img/s, {10 - done // 10} s to go"
                     for done in (40, 80, 20, 60)]
