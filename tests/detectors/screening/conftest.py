"""Shows the screening precision and speed figures in the terminal summary (with or without -s)."""

from __future__ import annotations

import pytest

FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture()
def report_figure(request: pytest.FixtureRequest):
    """Call with a line of text; it is printed under "screening figures" at the end of the run."""

    def report(line: str) -> None:
        request.config.stash.setdefault(FIGURES, []).append(line)

    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001 - hook signature
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("screening figures")
        for line in lines:
            terminalreporter.write_line(line)
