import shutil
from dataclasses import asdict

import numpy as np
import pytest
import torch

from scripts import refit_gsd_head
from scripts.refit_gsd_head import (RefitConfig, Samples, fit_head, interval_log_error,
                                    leave_one_source_out_errors, read_errors)
from scripts.segmentation.model import SegModelConfig, UNetASPP

TINY = SegModelConfig(encoder="resnet18", width=8, aspp_channels=8, decoder_channels=(8, 8, 8, 8, 8))
FAST = RefitConfig(steps=400, lr=1e-2)


def _head() -> torch.nn.Module:
    torch.manual_seed(0)
    return UNetASPP(TINY).gsd_head


def _samples(sources=("a",), offsets=(0.0,), reads_per_source=12, tiles=3, seed=0) -> Samples:
    """Pooled features that encode log GSD in their first channel; a source may read off by an offset."""
    rng = np.random.default_rng(seed)
    channels = _head()[2].in_features
    features, log_gsd, group, source = [], [], [], []
    for s, offset in zip(sources, offsets):
        for _ in range(reads_per_source):
            truth = rng.uniform(np.log(0.1), np.log(2.0))
            f = rng.normal(0, 0.01, (tiles, channels)).astype(np.float32)
            f[:, 0] = truth + offset
            features.append(f)
            log_gsd += [truth] * tiles
            group += [len(set(group))] * tiles
            source += [s] * tiles
    return Samples(np.concatenate(features), np.array(log_gsd, np.float32), np.array(group), np.array(source))


def test_refitted_head_reads_the_gsd_its_features_encode():
    samples = _samples()
    before = np.abs(read_errors(_head(), samples)[:, 0])
    after = np.abs(read_errors(fit_head(_head(), samples, FAST), samples)[:, 0])
    assert np.median(after) < 0.05 < np.median(before)


def test_refit_changes_only_a_copy_of_the_head():
    head = _head()
    kept = {k: v.clone() for k, v in head.state_dict().items()}
    fit_head(head, _samples(), FAST)
    assert all(torch.equal(kept[k], v) for k, v in head.state_dict().items())


def test_each_source_is_read_by_a_head_that_never_saw_it():
    # Source b's features read log(2) too fine: only a head fitted without b shows that error.
    samples = _samples(sources=("a", "b"), offsets=(0.0, -np.log(2.0)))
    held_out = leave_one_source_out_errors(_head(), samples, FAST)
    assert set(held_out) == {"a", "b"}
    np.testing.assert_allclose(np.median(held_out["b"][:, 0]), -np.log(2.0), atol=0.1)
    fitted_on_both = read_errors(fit_head(_head(), samples, FAST), samples.subset(samples.source == "b"))
    assert np.median(np.abs(fitted_on_both[:, 0])) < 0.5 * np.log(2.0)


def test_a_single_source_cannot_be_held_out():
    with pytest.raises(ValueError, match="two sources"):
        leave_one_source_out_errors(_head(), _samples(), FAST)


def test_interval_log_error_counts_the_tiles_spread_before_the_model_error():
    # (error, spread): the second read's spread already covers its error; the 80th percentile of
    # the rest is what the interval must add.
    errors = np.array([[0.5, 0.0], [0.5, 1.0], [0.1, 0.0], [0.2, 0.0], [0.3, 0.0]])
    assert interval_log_error(errors, 100.0) == pytest.approx(0.5)
    assert interval_log_error(errors[1:2], 100.0) == 0.0
    assert interval_log_error(np.zeros((0, 2))) == 0.0


def test_refit_writes_the_head_and_its_held_out_error_which_export_puts_in_the_metadata(shared_folder, tmp_path):
    from scripts.export_segmentation import build_metadata
    other = str(tmp_path / "town_b")
    shutil.copytree(shared_folder, other)
    torch.manual_seed(0)
    model = UNetASPP(TINY)
    ckpt = {"model": model.state_dict(), "config": asdict(TINY), "sampling": {"native_gsd_m": 0.3},
            "mean": [0.4, 0.4, 0.4], "std": [0.2, 0.2, 0.2], "train_sources": ["a"], "train_images": 2, "step": 5}
    path, out = str(tmp_path / "ckpt.pt"), str(tmp_path / "refit.pt")
    torch.save(ckpt, path)
    refit_gsd_head.main([path, shared_folder, other, "--out", out, "--steps", "50"])
    refitted = torch.load(out, map_location="cpu", weights_only=False)
    assert refitted["gsd_log_error"] >= 0 and refitted["gsd_head_refit"]["images"] == 2
    head_keys = [k for k in ckpt["model"] if k.startswith("gsd_head.")]
    assert any(not torch.equal(ckpt["model"][k], refitted["model"][k]) for k in head_keys)
    assert all(torch.equal(ckpt["model"][k], refitted["model"][k]) for k in ckpt["model"] if k not in head_keys)
    meta = build_metadata({**refitted, "args": {}}, "1", 512, 15, 0.5)
    assert float(meta["gsd_log_error"]) == pytest.approx(refitted["gsd_log_error"], abs=1e-4)
    assert "refitted" in meta["training_data"]
