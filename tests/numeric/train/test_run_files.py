"""The files of a run folder: config.json and summary.json written whole, metrics.jsonl
started afresh or cut back to the lines a checkpoint had seen, then appended to."""

from __future__ import annotations

import json

from gradsym.numeric.train.run_files import (
    CONFIG_FILE,
    METRICS_FILE,
    SUMMARY_FILE,
    MetricsLog,
    read_metrics,
    restore_metrics,
    write_config,
    write_summary,
)


def test_config_and_summary_are_written_whole(tmp_path):
    write_config(tmp_path, '{"hidden": 8}')
    write_summary(tmp_path, {"step": 3, "finished": True})
    assert (tmp_path / CONFIG_FILE).read_text() == '{"hidden": 8}\n'
    assert json.loads((tmp_path / SUMMARY_FILE).read_text()) == {"step": 3, "finished": True}


def test_a_fresh_log_starts_empty_and_drops_a_stale_summary(tmp_path):
    (tmp_path / METRICS_FILE).write_text('{"step": 1}\n{"step": 2}\n')
    write_summary(tmp_path, {"step": 2})
    log = MetricsLog(tmp_path, None)
    log.write({"step": 1, "loss": 0.5})
    log.close()
    assert read_metrics(tmp_path) == [{"step": 1, "loss": 0.5}]
    assert not (tmp_path / SUMMARY_FILE).exists()


def test_a_resumed_log_keeps_the_lines_its_checkpoint_had_seen(tmp_path):
    (tmp_path / METRICS_FILE).write_text("".join(f'{{"step": {s}}}\n' for s in range(1, 6)))
    write_summary(tmp_path, {"step": 5})
    log = MetricsLog(tmp_path, restore_metrics(tmp_path, 3, None))
    log.write({"step": 4, "replayed": True})
    log.flush()
    assert [r["step"] for r in read_metrics(tmp_path)] == [1, 2, 3, 4]
    assert read_metrics(tmp_path)[-1]["replayed"] is True
    log.close()
    log.close()  # closing twice is harmless
    assert (tmp_path / SUMMARY_FILE).exists()  # a resumed run keeps it until it finishes
