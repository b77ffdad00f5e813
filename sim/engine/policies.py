"""Dispatch policies: the order in which waiting faults are served, and when a van on its way may be diverted.

Both are small functions passed to the dispatch centre, so a planner can write one of their own in Python without
editing the engine. An **order** maps a fault to its sort key when it starts waiting (smaller goes first; the key
is fixed then, so it must not depend on the time, only on the fault). A **divert rule** says whether a van driving
to fault ``heading_to`` may be sent to the new fault ``new`` instead (it goes only if it is also the soonest).

>>> import numpy as np
>>> from sim.engine.faults import FaultTable
>>> faults = FaultTable(reported=np.array([0.0, 5.0, 9.0]), zone=np.zeros(3, np.int32),
...                     fault_type=np.array([0, 1, 0], np.int32), x=np.zeros(3), y=np.zeros(3),
...                     repair=np.ones(3), customers=np.array([10, 900, 50]), zone_names=("urban",),
...                     type_names=("fuse", "cable"))
>>> sorted(range(3), key=lambda f: oldest(faults, f)), sorted(range(3), key=lambda f: most_customers(faults, f))
([0, 1, 2], [1, 2, 0])

A scenario names an order (``dispatch.order: most_customers``) or, for one of the planner's own, a function as
``module:function`` (see ``sim.plugins``): an order takes the fault table and a fault number and returns a tuple of
floats; a divert rule (``dispatch.divert: module:function``) takes the table and two fault numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sim.engine.faults import FaultTable

Order = Callable[[FaultTable, int], tuple[float, ...]]
"""A fault's sort key among the waiting (smaller first), computed once when it starts waiting."""

DivertRule = Callable[[FaultTable, int, int], bool]
"""``rule(faults, heading_to, new)``: may a van driving to ``heading_to`` be diverted to ``new``?"""


def oldest(faults: FaultTable, fault: int) -> tuple[float, ...]:
    """First reported, first served (fault numbers follow report order)."""
    return (float(fault),)


def most_customers(faults: FaultTable, fault: int) -> tuple[float, ...]:
    """The fault with the most customers out first; ties in report order."""
    return (-float(faults.customers[fault]), float(fault))


def critical_first(faults: FaultTable, fault: int) -> tuple[float, ...]:
    """Faults cutting off critical customers (hospitals, water) first; then in report order."""
    return (-float(faults.critical[fault]), float(fault))


def score(weights: Mapping[str, float]) -> Order:
    """Highest score first: ``customers`` x customers out + ``critical`` x critical customers + ``waiting_h`` x
    hours waited. Hours waited grow alike for every waiting fault, so they enter as the time reported: the order
    is fixed when the fault starts waiting.

    >>> import numpy as np
    >>> from sim.engine.faults import FaultTable
    >>> faults = FaultTable(reported=np.array([0.0, 600.0]), zone=np.zeros(2, np.int32),
    ...                     fault_type=np.zeros(2, np.int32), x=np.zeros(2), y=np.zeros(2), repair=np.ones(2),
    ...                     customers=np.array([100, 130]), zone_names=("urban",), type_names=("fuse",),
    ...                     critical=np.zeros(2, bool))
    >>> key = score({"customers": 1.0, "waiting_h": 5.0})
    >>> key(faults, 0) < key(faults, 1)  # 10 h earlier is worth 50 customers: 100 + 50 > 130
    True
    """
    w_customers = float(weights.get("customers", 0.0))
    w_critical = float(weights.get("critical", 0.0))
    w_waiting = float(weights.get("waiting_h", 0.0))

    def by_score(faults: FaultTable, fault: int) -> tuple[float, ...]:
        value = (w_customers * float(faults.customers[fault]) + w_critical * float(faults.critical[fault])
                 - w_waiting * float(faults.reported[fault]) / 60.0)
        return (-value, float(fault))

    return by_score


ORDERS: dict[str, Order] = {"oldest": oldest, "most_customers": most_customers, "critical_first": critical_first}
"""The orders a scenario names; ``score`` is built from its weights."""


def by_types(rules: tuple[tuple[frozenset[int], frozenset[int]], ...]) -> DivertRule:
    """The scenario's ``dispatch.divert`` rules: a van heading to a fault of a type in ``from`` may be diverted
    to one of a type in ``to``; type -1 matches any.

    >>> import numpy as np
    >>> from sim.engine.faults import FaultTable
    >>> faults = FaultTable(reported=np.zeros(2), zone=np.zeros(2, np.int32), fault_type=np.array([0, 1], np.int32),
    ...                     x=np.zeros(2), y=np.zeros(2), repair=np.ones(2), customers=np.ones(2, np.int64),
    ...                     zone_names=("urban",), type_names=("fuse", "cable"))
    >>> rule = by_types(((frozenset({0}), frozenset({1})),))
    >>> rule(faults, 0, 1), rule(faults, 1, 0)
    (True, False)
    """
    def allowed(faults: FaultTable, heading_to: int, new: int) -> bool:
        old_type, new_type = int(faults.fault_type[heading_to]), int(faults.fault_type[new])
        return any((-1 in a or old_type in a) and (-1 in b or new_type in b) for a, b in rules)

    return allowed


def never(faults: FaultTable, heading_to: int, new: int) -> bool:
    """No van is diverted once on its way."""
    return False
