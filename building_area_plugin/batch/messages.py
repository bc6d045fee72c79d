"""Messages of the batch run shared by its in-process and Dask runs (templates for translation)."""


def unit_error_message(kind: str, reason: str) -> str:
    return f"The unit failed ({kind}: {reason}) after its retries; run again to retry it."


def interrupted_message(done: int, total: int) -> str:
    return (f"Stopped after {done} of {total} units; the finished ones are kept: run the same command again "
            f"(same output) to resume.")
