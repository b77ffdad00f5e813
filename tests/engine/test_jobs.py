"""sim.engine.jobs: a job's skill mask, the arrival that completes the set, the slowest unit's speed, and the
events it makes only when a unit waits on them."""

from __future__ import annotations

import simpy

from sim.engine.jobs import Crew, Job

LINE, CABLE, CIVIL = 0b001, 0b010, 0b100


def job(remaining: int) -> Job:
    return Job(fault=7, remaining=remaining, env=simpy.Environment())


def test_join_removes_the_units_skills_from_what_is_missing() -> None:
    """Needs line + cable + civil (0b111); a line-and-civil crew leaves cable (0b010); a cable crew leaves none."""
    j = job(LINE | CABLE | CIVIL)
    j.join(Crew(LINE | CIVIL))
    assert j.remaining == CABLE
    j.join(Crew(CABLE))
    assert j.remaining == 0
    assert len(j.units) == 2


def test_skills_not_needed_do_not_count() -> None:
    """Needs line only: a cable crew joins but the line skill is still missing; a crew with more skills than
    needed (line + civil) completes it."""
    j = job(LINE)
    j.join(Crew(CABLE))
    assert j.remaining == LINE
    j.join(Crew(LINE | CIVIL))
    assert j.remaining == 0


def test_arrive_is_true_only_for_the_unit_completing_the_set() -> None:
    """Two specialists: the first on site is not enough (False), the second is (True)."""
    j = job(LINE | CABLE)
    j.join(Crew(LINE))
    j.join(Crew(CABLE))
    assert j.arrive() is False
    assert j.arrive() is True
    assert j.arrived == 2


def test_arrive_waits_for_every_unit_sent_even_if_the_skills_are_complete() -> None:
    """Both sent, but the set was complete after the first joined: the repair still starts only when the last
    unit sent is on site (the second arrival)."""
    j = job(LINE)
    j.join(Crew(LINE))
    j.join(Crew(LINE | CABLE))
    assert j.arrive() is False
    assert j.arrive() is True


def test_arrive_while_a_skill_is_still_missing_is_false() -> None:
    """Only the line crew has been sent to a line + cable job: it arrives alone, the set is not complete."""
    j = job(LINE | CABLE)
    j.join(Crew(LINE))
    assert j.arrive() is False


def test_single_unit_job_starts_on_its_arrival() -> None:
    j = job(LINE)
    j.join(Crew(LINE))
    assert j.arrive() is True


def test_speed_is_the_slowest_units() -> None:
    """Work speeds 1.0, 0.6 and 1.4: the job goes at 0.6."""
    j = job(LINE | CABLE | CIVIL)
    j.join(Crew(LINE, 1.0))
    j.join(Crew(CABLE, 0.6))
    j.join(Crew(CIVIL, 1.4))
    assert j.speed() == 0.6


def test_events_exist_only_when_waited_on() -> None:
    """A one-unit job never asks for its events: start and finish create none (no extra simulation event)."""
    j = job(LINE)
    j.join(Crew(LINE))
    j.arrive()
    j.start()
    j.finish()
    assert j.is_started
    assert j.started is None and j.done is None


def test_events_created_on_demand_are_shared_and_fire_on_start_and_finish() -> None:
    """The same event is handed to every unit asking; start() fires ``started``, finish() fires ``done``."""
    j = job(LINE | CABLE)
    ev = j.when_started()
    assert j.when_started() is ev
    done = j.when_done()
    assert j.when_done() is done
    assert not ev.triggered and not done.triggered
    j.start()
    assert ev.triggered and not done.triggered
    j.finish()
    assert done.triggered


def test_a_unit_waiting_on_site_wakes_when_the_last_arrives_and_leaves_when_done() -> None:
    """In SimPy: the line crew arrives at 5 and waits; the cable crew arrives at 8, starts the 60 min repair
    (ends 68). The line crew wakes at 8 and is released at 68."""
    env = simpy.Environment()
    j = Job(fault=0, remaining=LINE | CABLE, env=env)
    seen: dict[str, float] = {}

    def first() -> simpy.events.ProcessGenerator:
        j.join(Crew(LINE))
        yield env.timeout(5)
        assert not j.arrive()
        yield j.when_started()
        seen["woke"] = env.now
        yield j.when_done()
        seen["released"] = env.now

    def second() -> simpy.events.ProcessGenerator:
        j.join(Crew(CABLE))
        yield env.timeout(8)
        assert j.arrive()
        j.start()
        yield env.timeout(60)
        j.finish()
        seen["done"] = env.now

    env.process(first())
    env.process(second())
    env.run()
    assert seen == {"woke": 8.0, "done": 68.0, "released": 68.0}
