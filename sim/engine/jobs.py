"""A job: the crew side of one fault, shared by the units sent to it and the dispatch centre that sent them.

A fault needs a set of skills (a bit mask); units join its job until the set is complete, and the repair starts
when the last of them is on site.

>>> import simpy
>>> job = Job(fault=0, remaining=0b11, env=simpy.Environment())
>>> job.join(Crew(skills=0b01, work_speed=1.0)); job.arrive()
False
>>> job.join(Crew(skills=0b10, work_speed=0.8)); job.remaining, job.arrive(), job.speed()
(0, True, 0.8)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import simpy


class Member(Protocol):
    """What a job needs of a unit: its skills and how fast it works."""

    skills: int
    work_speed: float


@dataclass
class Crew:
    """A bare member (for tests and examples): the skills and speed of a unit, nothing else."""

    skills: int
    work_speed: float = 1.0


NONE, WAITING, ASSIGNED, CLAIMED = 0, 1, 2, 3  # crew / van state of a fault


@dataclass(eq=False)
class Job:
    """The crew side of one fault: the units sent, the skills still missing, and when the repair starts and ends."""

    fault: int
    remaining: int
    env: simpy.Environment
    units: list[Member] = field(default_factory=list)
    arrived: int = 0
    is_started: bool = False
    # events only for jobs where a unit waits for another: a one-unit job costs no extra simulation event
    started: simpy.Event | None = None
    done: simpy.Event | None = None

    def start(self) -> None:
        """The repair begins: wake the units waiting on site."""
        self.is_started = True
        if self.started is not None:
            self.started.succeed()

    def finish(self) -> None:
        """The repair is done: release the other units of the job."""
        if self.done is not None:
            self.done.succeed()

    def when_started(self) -> simpy.Event:
        """An event for a unit waiting on site for the repair to begin."""
        if self.started is None:
            self.started = self.env.event()
        return self.started

    def when_done(self) -> simpy.Event:
        """An event for a unit working with others until the repair is done."""
        if self.done is None:
            self.done = self.env.event()
        return self.done

    def join(self, unit: Member) -> None:
        """``unit`` is sent to this job."""
        self.units.append(unit)
        self.remaining &= ~unit.skills

    def arrive(self) -> bool:
        """A unit of this job is on site; True when it is the one that completes the set (the repair starts)."""
        self.arrived += 1
        return self.remaining == 0 and self.arrived == len(self.units)

    def speed(self) -> float:
        """Work speed of the slowest unit on the job."""
        return min(u.work_speed for u in self.units)


