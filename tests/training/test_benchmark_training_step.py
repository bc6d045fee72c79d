from scripts.benchmark_training_step import StepCase, parse_crop, time_steps


def test_crop_arguments_read_as_crop_and_batch():
    assert parse_crop("384x4") == (384, 4)
    assert parse_crop("512X2") == (512, 2)


def test_each_timed_step_trains_the_model_once(one_torch_thread):
    times = time_steps(StepCase(crop=64, batch=1, compiled=False), "resnet18", warmup=1, steps=2)
    assert len(times) == 2 and all(t > 0 for t in times)
