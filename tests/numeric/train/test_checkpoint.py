"""Checkpoints: exact round trip, atomic writing, and clear errors for bad files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from gradsym.errors import CheckpointError
from gradsym.numeric.optim.optimisers import Adam
from gradsym.numeric.train import checkpoint as ck


def _checkpoint(rng) -> ck.Checkpoint:
    params = {"cell.W_h": rng.standard_normal((3, 3)), "out.b_y": rng.standard_normal(2)}
    opt = Adam(1e-2)
    opt.step(params, {k: rng.standard_normal(v.shape) for k, v in params.items()})
    data = np.random.default_rng(7)
    data.standard_normal(5)
    return ck.Checkpoint(
        step=12,
        lr=0.005,
        config={"cell": "rnn", "truncation": [2, 4]},
        params=params,
        optimiser=opt.state_dict(),
        rng_state=data.bit_generator.state,
        recoveries=[{"event": "recovery", "step": 9}],
        metrics_lines=11,
    )


def test_round_trip_is_exact(tmp_path, rng):
    c = _checkpoint(rng)
    path = ck.save_checkpoint(tmp_path / "c.npz", c)
    back = ck.load_checkpoint(path)
    assert (back.step, back.lr, back.config, back.metrics_lines) == (12, 0.005, c.config, 11)
    assert back.recoveries == c.recoveries
    assert back.rng_state == c.rng_state
    for k, v in c.params.items():
        assert back.params[k].dtype == v.dtype
        assert np.array_equal(back.params[k], v)
    opt = Adam(1.0)
    opt.load_state_dict(back.optimiser)
    for name, slots in c.optimiser["state"].items():
        for slot, value in slots.items():
            assert np.array_equal(opt.state[name][slot], value)
    assert opt.lr == 1e-2 and opt.steps == 1


def test_file_loads_without_pickle(tmp_path, rng):
    path = ck.save_checkpoint(tmp_path / "c.npz", _checkpoint(rng))
    with np.load(path, allow_pickle=False) as f:
        assert all(f[name].dtype != object for name in f.files)
        assert json.loads(str(f["meta"][()]))["format"] == ck.FORMAT


def test_failed_write_leaves_the_old_checkpoint_and_no_partial_file(tmp_path, rng, monkeypatch):
    path = ck.save_checkpoint(tmp_path / "c.npz", _checkpoint(rng))
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    c = _checkpoint(rng)
    c.step = 99
    with pytest.raises(OSError, match="disk full"):
        ck.save_checkpoint(path, c)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.npz.*no such file"):
        ck.load_checkpoint(tmp_path / "nope.npz")


def test_garbage_file(tmp_path):
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"garbage\.npz.*not a gradsym checkpoint"):
        ck.load_checkpoint(path)


def test_truncated_file(tmp_path, rng):
    path = ck.save_checkpoint(tmp_path / "c.npz", _checkpoint(rng))
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"cut\.npz"):
        ck.load_checkpoint(cut)


def test_foreign_npz_without_metadata(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(CheckpointError, match=r"foreign\.npz.*no 'meta'"):
        ck.load_checkpoint(path)


def test_plain_npy_file(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.ones(3))
    with pytest.raises(CheckpointError, match=r"array\.npy.*not an \.npz"):
        ck.load_checkpoint(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "someone-else"}, "foreign format"),
        ({"version": 999}, "version 999"),
        ({"params": ["cell.W_h", "cell.W_x"]}, "'cell.W_x' is listed but missing"),
    ],
)
def test_wrong_metadata(tmp_path, rng, change, message):
    path = ck.save_checkpoint(tmp_path / "c.npz", _checkpoint(rng))
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays["meta"][()]))
    meta.update(change)
    arrays["meta"] = np.array(json.dumps(meta))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(CheckpointError, match=message):
        ck.load_checkpoint(bad)


def test_corrupt_member(tmp_path, rng):
    path = ck.save_checkpoint(tmp_path / "c.npz", _checkpoint(rng))
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("param/"):
                data = data[:20]  # a header cut short
            dst.writestr(item, data)
    with pytest.raises(CheckpointError, match=r"bad\.npz.*corrupt or truncated"):
        ck.load_checkpoint(bad)
