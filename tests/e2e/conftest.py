import os
import tempfile
from pathlib import Path

import pytest

from tests.stack import LAB_DIR, LAB_PREFIX, Stack, lab_fixture


@pytest.fixture(scope="session")
def stack(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    the_stack = Stack(Path(tempfile.mkdtemp(prefix="s2s-stack-")))
    the_stack.start()
    yield the_stack
    the_stack.stop()


@pytest.fixture
def lab(stack, settings, transactional_db):  # type: ignore[no-untyped-def]
    settings.LAB_DIR, settings.LAB_PREFIX, settings.ROUTER_PROVIDER = LAB_DIR, LAB_PREFIX, "lab"
    yield from lab_fixture()


@pytest.fixture(autouse=True)
def _print_stack_logs_on_failure(request, stack):  # type: ignore[no-untyped-def]
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs())


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
