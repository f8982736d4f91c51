"""The bundled gunicorn's start-up (gunicorn.conf.py): what every worker inherits from the master."""

from __future__ import annotations

import gc
import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.conf import settings


@pytest.fixture
def server_config() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location(
        "tandem_gunicorn_conf", Path(settings.BASE_DIR) / "gunicorn.conf.py"
    )
    assert spec is not None
    assert spec.loader is not None
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    yield config
    gc.unfreeze()


class _Server:
    log = logging.getLogger("test.gunicorn")


def test_the_master_leaves_its_warmed_up_objects_out_of_every_workers_garbage_collections(
    server_config,
):
    # Given the master has loaded Tandem (preload_app, the default)
    assert server_config.preload_app
    tracked_before = len(gc.get_objects())

    # When it is ready to fork its workers
    server_config.when_ready(_Server())

    # Then what it holds is frozen: a worker's full collection no longer walks it
    assert gc.get_freeze_count() > 0
    assert len(gc.get_objects()) < tracked_before / 10
