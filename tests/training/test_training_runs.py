"""The training scripts end to end on tiny generated data: checkpoints, resume, logs, and the run comparison."""
import json
import os

import pytest
import torch

from scripts import compare_runs, train_detection, train_segmentation


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def segmentation_args(folder, out, steps, encoder=("--encoder", "resnet18", "--width", "16")):
    return [folder, "--out", out, "--steps", str(steps), "--tile", "64", "--batch", "2", *encoder,
            "--warmup", "1", "--val-every", "1", "--ckpt-every", "1", "--threads", "1"]


def test_segmentation_training_resumes_from_its_checkpoint_and_logs_every_step(shared_folder, tmp_path, capsys):
    out = str(tmp_path / "seg")
    train_segmentation.main(segmentation_args(shared_folder, out, 2))
    assert torch.load(os.path.join(out, "last.pt"), weights_only=False)["step"] == 2
    train_segmentation.main(segmentation_args(shared_folder, out, 3))
    assert "resumed from step 2" in capsys.readouterr().out
    with open(os.path.join(out, "log.jsonl")) as f:
        assert [json.loads(line)["step"] for line in f] == [1, 2, 3]
    compare_runs.main([out])
    report = capsys.readouterr().out
    assert "encoder=resnet18" in report and "3 steps in" in report


def test_the_weight_average_is_validated_kept_apart_and_resumed(shared_folder, tmp_path):
    out = str(tmp_path / "seg")
    train_segmentation.main(segmentation_args(shared_folder, out, 3) + ["--stop-at", "2"])
    first = torch.load(os.path.join(out, "last.pt"), weights_only=False)
    assert first["ema_updates"] == 2
    train_segmentation.main(segmentation_args(shared_folder, out, 3))
    last = torch.load(os.path.join(out, "last.pt"), weights_only=False)
    assert last["ema_updates"] == 3  # the average went on from the checkpoint's, not from scratch
    with open(os.path.join(out, "log.jsonl")) as f:
        validated = [json.loads(line) for line in f if "val" in line]
    assert all("val_ema" in r for r in validated)
    best_ema = torch.load(os.path.join(out, "best_ema.pt"), weights_only=False)
    assert max(r["val_ema"]["score"] for r in validated) == pytest.approx(best_ema["best_ema_score"])


def test_a_recipe_phase_the_run_has_passed_is_skipped_and_the_next_goes_on(shared_folder, tmp_path, capsys):
    out = str(tmp_path / "seg")
    phase_one = segmentation_args(shared_folder, out, 4) + ["--stop-at", "2"]
    train_segmentation.main(phase_one)
    train_segmentation.main(segmentation_args(shared_folder, out, 3))  # the next phase, a shorter schedule
    train_segmentation.main(phase_one)  # the whole recipe again: the first phase is done
    assert "already at step 3, not before --stop-at 2: nothing to do" in capsys.readouterr().out
    assert torch.load(os.path.join(out, "last.pt"), weights_only=False)["step"] == 3
    with open(os.path.join(out, "log.jsonl")) as f:
        assert [json.loads(line)["step"] for line in f] == [1, 2, 3]


def test_a_pretrained_encoder_trains_frozen_first_then_at_its_own_learning_rate(shared_folder, tmp_path):
    out = str(tmp_path / "seg")
    args = segmentation_args(shared_folder, out, 3, ("--encoder", "efficientnet_lite0", "--frozen-steps", "2",
                                                     "--encoder-lr", "0.1", "--channels-last"))
    start = train_segmentation.UNetASPP(train_segmentation.SegModelConfig(), pretrained=True).encoder.state_dict()
    train_segmentation.main(args)
    ckpt = torch.load(os.path.join(out, "last.pt"), weights_only=False)
    with open(os.path.join(out, "log.jsonl")) as f:
        records = [json.loads(line) for line in f]
    assert [r["lr_encoder"] for r in records[:2]] == [0.0, 0.0]
    assert records[2]["lr_encoder"] == pytest.approx(0.1 * records[2]["lr"])
    assert ckpt["mean"] == pytest.approx([127 / 255] * 3)
    conv = "encoder._blocks.3._depthwise_conv.weight"
    assert not torch.equal(ckpt["model"][conv], start[conv.split(".", 1)[1]])
    assert os.path.exists(os.path.join(out, "best.pt"))


def test_a_run_started_from_another_runs_network_begins_at_step_zero_with_its_weights(shared_folder, tmp_path,
                                                                                      capsys):
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    train_segmentation.main(segmentation_args(shared_folder, first, 3))
    train_segmentation.main(segmentation_args(shared_folder, second, 1) + ["--start-from", f"{first}/last.pt",
                                                                           "--lr", "0", "--native-gsd", "0.45"])
    assert "starting from the network of" in capsys.readouterr().out
    started, source = (torch.load(os.path.join(run, "last.pt"), weights_only=False) for run in (second, first))
    assert started["step"] == 1 and started["sampling"]["native_gsd_m"] == 0.45
    convs = [k for k in source["model"] if k.endswith("conv1.weight")]
    assert convs and all(torch.equal(started["model"][k], source["model"][k]) for k in convs)
    with pytest.raises(SystemExit, match="--encoder resnet18"):
        train_segmentation.main(segmentation_args(shared_folder, str(tmp_path / "third"), 1,
                                                  ("--encoder", "efficientnet_lite0"))
                                + ["--start-from", f"{first}/last.pt"])


def test_frozen_encoder_batchnorm_keeps_its_imagenet_statistics_but_learns_its_scales(shared_folder, tmp_path):
    out = str(tmp_path / "seg")
    args = segmentation_args(shared_folder, out, 2, ("--encoder", "efficientnet_lite0", "--encoder-bn", "frozen",
                                                     "--seg-jitter", "0.6"))
    start = train_segmentation.UNetASPP(train_segmentation.SegModelConfig(), pretrained=True).state_dict()
    train_segmentation.main(args)  # validated every step, which puts the model back in training mode
    ckpt = torch.load(os.path.join(out, "last.pt"), weights_only=False)
    trained = ckpt["model"]
    stats = [k for k in trained if k.startswith("encoder.") and k.endswith("running_mean")]
    assert stats and all(torch.equal(trained[k], start[k]) for k in stats)
    scales = [k.replace("running_mean", "weight") for k in stats]
    assert not all(torch.equal(trained[k], start[k]) for k in scales)
    decoder_stats = [k for k in trained if k.startswith("decoder.") and k.endswith("running_mean")]
    assert any(not torch.equal(trained[k], start[k]) for k in decoder_stats)
    assert ckpt["sampling"]["seg_jitter"] == 0.6


def test_detection_training_keeps_a_best_checkpoint_and_the_comparison_reads_its_options(box_folder, tmp_path,
                                                                                         capsys):
    out = str(tmp_path / "det")
    train_detection.main([box_folder, "--out", out, "--model", "nano", "--tile", "64", "--batch", "2",
                          "--epochs", "1", "--epoch-images", "2", "--warmup-epochs", "0", "--no-aug-epochs", "0",
                          "--min-box-m", "0", "--max-aspect", "0", "--threads", "1"])
    assert os.path.exists(os.path.join(out, "best.pt"))
    compare_runs.main([out])
    assert "min_box_m=0.0 max_aspect=0.0" in capsys.readouterr().out


def test_a_detector_on_a_pretrained_encoder_starts_from_its_imagenet_weights_and_statistics(box_folder, tmp_path):
    from scripts.segmentation.encoders import efficientnet_lite_weights
    out = str(tmp_path / "det_lite0")
    train_detection.main([box_folder, "--out", out, "--model", "nano", "--backbone", "efficientnet_lite0",
                          "--tile", "64", "--batch", "2", "--epochs", "1", "--epoch-images", "2",
                          "--warmup-epochs", "0", "--no-aug-epochs", "0", "--min-box-m", "0", "--max-aspect", "0",
                          "--threads", "1"])
    ckpt = torch.load(os.path.join(out, "last.pt"), weights_only=False)
    assert ckpt["config"]["backbone"] == "efficientnet_lite0"
    assert ckpt["mean"] == pytest.approx([127 / 255] * 3) and ckpt["std"] == pytest.approx([128 / 255] * 3)
    # One SGD step at the warm-up's learning rate moves the ImageNet weights only a little.
    imagenet = efficientnet_lite_weights("efficientnet_lite0")["_blocks.5._project_conv.weight"]
    trained = ckpt["model"]["backbone.encoder._blocks.5._project_conv.weight"]
    assert torch.allclose(trained, imagenet, atol=1e-2)
    with pytest.raises(SystemExit, match="init-onnx"):
        train_detection.main([box_folder, "--out", str(tmp_path / "other"), "--backbone", "efficientnet_lite0",
                              "--init-onnx", "seed.onnx"])


def test_a_detector_on_the_frozen_segmentation_encoder_keeps_its_features_exactly(shared_folder, box_folder,
                                                                                   tmp_path):
    seg_out, det_out = str(tmp_path / "seg"), str(tmp_path / "det")
    train_segmentation.main(segmentation_args(shared_folder, seg_out, 2, ("--encoder", "efficientnet_lite0")))
    seg = torch.load(os.path.join(seg_out, "last.pt"), weights_only=False)
    train_detection.main([box_folder, "--out", det_out, "--backbone-from", os.path.join(seg_out, "last.pt"),
                          "--freeze-backbone", "--tile", "64", "--batch", "2", "--epochs", "1",
                          "--epoch-images", "4", "--warmup-epochs", "0", "--no-aug-epochs", "0",
                          "--min-box-m", "0", "--max-aspect", "0", "--threads", "1"])
    det = torch.load(os.path.join(det_out, "last.pt"), weights_only=False)
    assert det["config"]["backbone"] == "efficientnet_lite0" and det["mean"] == pytest.approx(seg["mean"])
    encoder = {k: v for k, v in seg["model"].items() if k.startswith("encoder.")}
    for key, value in encoder.items():  # weights and BatchNorm statistics alike
        assert torch.equal(det["model"]["backbone." + key], value), key
    # SGD keeps momentum for exactly the parameters that got gradients: the neck's and the head's.
    trained = [k for k in det["model"] if k.startswith(("neck.", "head.")) and "running_" not in k
               and "num_batches" not in k]
    assert len(det["optimizer"]["state"]) == len(trained) > 0


def test_training_time_adds_up_the_sessions_of_a_resumed_run():
    records = [{"elapsed_s": t} for t in (1.0, 2.0, 3.0, 0.5, 1.5)]
    assert compare_runs.training_seconds(records) == 4.5


def test_a_resume_whose_first_step_outlasts_the_previous_process_is_still_a_new_process():
    records = [{"elapsed_s": t, "process_started": 100.0} for t in (0.4, 0.9)]
    records += [{"elapsed_s": t, "process_started": 103.5} for t in (1.2, 2.0)]
    assert [len(part) for part in compare_runs.sessions(records)] == [2, 2]
    assert compare_runs.training_seconds(records) == pytest.approx(2.9)


def test_comparison_names_the_missing_log(tmp_path):
    with pytest.raises(SystemExit, match="neither log.jsonl"):
        compare_runs.main([str(tmp_path)])


def test_the_ledger_has_one_row_per_session_with_steps_and_crops_seen(shared_folder, tmp_path, capsys):
    out = str(tmp_path / "seg")
    train_segmentation.main(segmentation_args(shared_folder, out, 3) + ["--stop-at", "2"])
    train_segmentation.main(segmentation_args(shared_folder, out, 3))
    capsys.readouterr()
    compare_runs.main([out, "--ledger"])
    rows = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == 4
    assert "| 1 |" in rows[2] and "| 1-2 | 4 |" in rows[2]
    assert "| 2 |" in rows[3] and "| 3-3 | 6 |" in rows[3]
    assert rows[3].count(" / ") == 2  # the raw weights' validation and the weight average's
