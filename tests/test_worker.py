"""The helper thread: runs work alongside its owner, and never outlives it."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from app.common.worker import WorkerThread


def _named(name):
    return [t for t in threading.enumerate() if t.name == name]


def test_jobs_run_on_the_helper_thread_in_order_and_errors_reach_the_caller():
    helper = WorkerThread("focuscam-test-helper")
    assert not _named("focuscam-test-helper")  # nothing starts until there is work
    seen = []
    futures = [
        helper.submit(lambda i=i: seen.append((i, threading.current_thread().name)))
        for i in range(5)
    ]
    for f in futures:
        f.result(timeout=5)
    assert seen == [(i, "focuscam-test-helper") for i in range(5)]
    failing = helper.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=5)
    assert helper.submit(lambda: 42).result(timeout=5) == 42  # an error does not kill the thread
    assert helper.close()
    assert not _named("focuscam-test-helper")


def test_close_finishes_the_work_already_given_then_stops():
    helper = WorkerThread("focuscam-test-helper")
    done = []
    helper.submit(lambda: (time.sleep(0.05), done.append(1)))
    assert helper.close(timeout=2)
    assert done == [1]
    assert not _named("focuscam-test-helper")


def test_a_helper_dropped_without_close_lets_its_thread_end():
    helper = WorkerThread("focuscam-test-dropped")
    helper.submit(lambda: None).result(timeout=5)
    (thread,) = _named("focuscam-test-dropped")
    del helper
    gc.collect()
    thread.join(2)
    assert not thread.is_alive()
