"""ProgressDigest: a progress bar redrawn per image becomes a line per
10 % of the work, named after the stage that runs."""
import io
import re

from mmengine.utils import ProgressBar

from mmwsss.utils.progress_digest import (
    ProgressDigest,
    clock,
    split_after_bar,
)

TIME = re.compile(r'^\d\d:\d\d:\d\d ')


class FakeClock:

    def __init__(self):
        self.t = 0.

    def __call__(self):
        return self.t


def bar_updates(total):
    """The text pieces a real mmengine ProgressBar writes for ``total``
    images, split at its carriage returns as the quiet console splits."""
    out = io.StringIO()
    bar = ProgressBar(total, file=out)
    for _ in range(total):
        bar.update()
    return out.getvalue().split('\r')


def digest_lines(digest, pieces):
    """The lines shown, without their ``HH:MM:SS`` time."""
    lines = [line for line in map(digest.feed, pieces) if line]
    assert all(TIME.match(line) for line in lines)
    return [TIME.sub('', line) for line in lines]


def test_a_bar_of_2000_images_gives_ten_lines():
    digest = ProgressDigest()
    digest.see_stage('08:14:37 [refine] running')
    lines = digest_lines(digest, bar_updates(2000))
    assert len(lines) == 10
    assert lines[0].startswith('[refine] 200/2000 images (10 %), eta ')
    assert lines[2].startswith('[refine] 600/2000 images (30 %), eta ')
    assert lines[-1].startswith('[refine] 2000/2000 images (100 %), took ')


def test_slow_work_also_shows_a_line_every_few_minutes():
    now = FakeClock()
    digest = ProgressDigest(every_s=300, now=now)
    digest.see_stage('[cams] running')
    text = '[>>  ] {}/1000, 0.1 task/s, elapsed: {}s, ETA:  9000s'
    assert digest.feed(text.format(1, 10)) is None
    now.t = 299.
    assert digest.feed(text.format(30, 299)) is None
    now.t = 301.
    line = TIME.sub('', digest.feed(text.format(31, 301)))
    assert line == '[cams] 31/1000 images (3 %), eta 2:30:00'
    now.t = 302.
    assert digest.feed(text.format(32, 302)) is None  # same tenth
    assert digest.feed(text.format(100, 303)) is not None  # 10 %


def test_a_new_bar_or_stage_starts_over():
    digest = ProgressDigest()
    digest.see_stage('[cams] running')
    assert len(digest_lines(digest, bar_updates(20))) == 10
    # the CAMs are scored next: a second bar of the same length
    assert len(digest_lines(digest, bar_updates(20))) == 10
    digest.see_stage('12:00:00 [refine] running')
    lines = digest_lines(digest, bar_updates(50))
    assert len(lines) == 10 and lines[0].startswith('[refine] 5/50 ')
    digest.see_stage('Iter(train) [ 50/100]  loss: 0.5')  # not a stage
    assert digest.stage == 'refine'


def test_runner_validation_and_test_logs():
    digest = ProgressDigest()
    digest.see_stage('[segment] running')
    lines = [
        digest.feed(f'12/03 08:14:37 - mmengine - INFO - Epoch(test) '
                    f'[{i:4d}/1449]    eta: 0:0{9 - i // 200}:49  time: 0.03')
        for i in range(50, 1449, 50)
    ]
    shown = [TIME.sub('', line) for line in lines if line]
    assert len(shown) == 9  # 10 % ... 90 %: the last log is at 1400
    assert shown[0] == '[segment] 150/1449 test batches (10 %), eta 9:49'
    line = digest.feed('Iter(val) [1][ 300/300]    eta: 1 day, 2:03:04')
    assert TIME.sub('', line) == \
        '[segment] 300/300 val batches (100 %), eta 26:03:04'


def test_other_lines_are_not_progress():
    digest = ProgressDigest()
    for text in ('config dump line', '[   ] 0/20, elapsed: 0s, ETA:',
                 'completed: 5, elapsed: 1s, 5.0 tasks/s',
                 'Epoch(val) [1][300/300]    mIoU: 51.2', ''):
        assert digest.feed(text) is None
    # before any stage line the progress has no stage name
    lines = digest_lines(digest, bar_updates(10))
    assert lines[0].startswith('1/10 images (10 %), eta ')


def test_split_after_bar_and_clock():
    bar = '[>>>>] 50/50, 96.9 task/s, elapsed: 1s, ETA:     0s'
    log = '12/03 12:19:32 - mmengine - INFO - [refine] ran: 50 items'
    assert split_after_bar(bar + log) == [bar, log]
    assert split_after_bar(bar) == [bar]
    assert split_after_bar(log) == [log]
    assert [clock(s) for s in (0, 130, 3600, 93784)] == [
        '0:00', '2:10', '1:00:00', '26:03:04'
    ]
