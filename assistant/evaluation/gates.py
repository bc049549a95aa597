"""Quality gates for CI: `--fail-under answer_pass_rate=0.8`, `--fail-over errors=0`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

from ..errors import BadInput
from .metrics import JUDGE_METRICS, METRIC_NAMES


class Gate(NamedTuple):
    metric: str
    bound: Literal["under", "over"]
    value: float


def parse(specs: Iterable[str], bound: Literal["under", "over"]) -> list[Gate]:
    """Gates from METRIC=VALUE strings; BadInput naming the known metrics on a bad one."""
    gates = []
    known = (*METRIC_NAMES, *JUDGE_METRICS)
    for spec in specs:
        metric, sep, raw = spec.partition("=")
        metric = metric.strip()
        if not sep or metric not in known:
            raise BadInput(
                f"--fail-{bound} {spec!r}: expected METRIC=VALUE with METRIC one of "
                f"{', '.join(known)}."
            )
        try:
            value = float(raw)
        except ValueError:
            raise BadInput(f"--fail-{bound} {spec!r}: {raw!r} is not a number.") from None
        gates.append(Gate(metric, bound, value))
    return gates


def check(gates: Iterable[Gate], summary: Mapping[str, float | int | None]) -> list[str]:
    """A message for every gate the summary fails. A metric the run could not measure (say,
    abstain_accuracy on a set without unanswerable questions) fails its gate: a CI check that
    silently stops measuring is worse than a red build."""
    failures = []
    for gate in gates:
        value = summary.get(gate.metric)
        if value is None:
            failures.append(f"{gate.metric} was not measured on this set (gate {gate.value:g})")
        elif gate.bound == "under" and value < gate.value:
            failures.append(f"{gate.metric} {value:g} < {gate.value:g}")
        elif gate.bound == "over" and value > gate.value:
            failures.append(f"{gate.metric} {value:g} > {gate.value:g}")
    return failures
