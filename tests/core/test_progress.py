"""Tile progress: percent by tiles, the time left in the message, and a quiet log."""
from building_area_plugin.core.progress import MESSAGE_EVERY_S, TileProgress, duration_text


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_percent_follows_tiles_within_the_stage_share():
    calls = []
    report = TileProgress(lambda percent, message: calls.append(percent), "Segmented", 10.0, 80.0, FakeClock())
    for done in (1, 2, 4):
        report(done, 4)
    assert calls == [30.0, 50.0, 90.0]


def test_message_gives_the_time_left_from_the_pace_so_far():
    clock, messages = FakeClock(), []
    report = TileProgress(lambda _percent, message: messages.append(message), "Segmented", 0.0, 90.0, clock)
    clock.now = 30.0
    report(10, 100)  # 3 s per tile, 90 tiles to go
    assert messages[-1] == "Segmented 10 of 100 tiles, about 4 min 30 s left"


def test_message_changes_at_most_every_few_seconds_but_always_at_the_end():
    clock, messages = FakeClock(), []
    report = TileProgress(lambda _percent, message: messages.append(message), "Detected in", 0.0, 2.0, clock)
    for done in range(1, 100):
        clock.now = done * 0.5
        report(done, 100)
    clock.now = 50.0
    report(100, 100)
    distinct = list(dict.fromkeys(messages))
    assert len(distinct) <= 50.0 / MESSAGE_EVERY_S + 2
    assert distinct[-1] == "Detected in 100 of 100 tiles"


def test_durations_read_naturally():
    assert duration_text(42.4) == "42 s"
    assert duration_text(125) == "2 min 05 s"
    assert duration_text(2 * 3600 + 7 * 60 + 30) == "2 h 07 min"
