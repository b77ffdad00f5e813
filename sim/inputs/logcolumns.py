"""Which column of a historical outage log holds what: the mapping a scenario's ``arrivals.replay.columns`` and
``stormcrew fit --column`` write. Apart from the log reader (``sim.inputs.outagelog``), so that the scenario schema
can name it without importing pandas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LogColumns(BaseModel):
    """Which column of a historical log holds what (names in the file); unset optional ones are not read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_out: str = "time_out"
    duration_h: str | None = "duration_h"
    longitude: str | None = "longitude"
    latitude: str | None = "latitude"
    x_km: str | None = None
    y_km: str | None = None
    cause: str | None = None
    customers: str | None = None
