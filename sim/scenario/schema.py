"""The scenario: a typed, validated, fully resolved description of one service area and its organisation.

Times are in minutes. Wherever a time is asked for, a string with a unit is accepted too: ``"4 h"``,
``"90 min"``, ``"92 d"``. Zones named urban, rural and mountain get the published response limits by default.

>>> from sim.scenario import load_scenario
>>> sc = load_scenario({
...     "name": "tiny",
...     "horizon": "2 d",
...     "zones": {"urban": {"speed_kmh": 30, "area": {"box": [0, 0, 10, 10]}}},
...     "fault_types": {"cable_fault": {"skills": ["cable"], "repair": {"dist": "expon", "scale": 120}}},
...     "arrivals": {"per_day": {"urban": {"cable_fault": 6}}},
...     "depots": {"central": {"zone": "urban", "location": [5, 5],
...                            "units": [{"name": "cable", "skills": ["cable"], "count": 2}]}},
... })
>>> sc.horizon, sc.zones["urban"].limits.arrive, sc.zones["urban"].limits.restore
(2880.0, 30.0, 240.0)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sim.bounds import MAX_CUSTOMERS, MAX_REPLICATIONS
from sim.distributions import Distribution
from sim.inputs.zones import ZoneMap, ring_problem
from sim.inputs.zones import zone_map as _zone_map
from sim.scenario.arrivals import Arrivals
from sim.scenario.communication import Communication
from sim.scenario.crews import Depot, Dispatch, MutualAid, Prestage
from sim.scenario.expect import Expect, Reliability
from sim.scenario.fields import (
    XY,
    Factor,
    Km,
    LonLat,
    Minutes,
    MinutesOrZero,
    Speed,
    Strict,
    When,
)
from sim.scenario.plans import Forecasting, Plan, Priority, Programme

# The published promise (DOMAIN.md): minutes to be on site, minutes to restore.
DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "urban": (30.0, 240.0),
    "rural": (60.0, 360.0),
    "mountain": (90.0, 360.0),
}


class Limits(Strict):
    """The promise for one zone: on site within ``arrive`` and power back within ``restore`` minutes."""

    arrive: Minutes
    restore: Minutes


class Area(Strict):
    """Where a zone's faults occur (uniformly over it), in km: a ``box`` ``[x_min, y_min, x_max, y_max]``, or a
    ``polygon``: one ring of ``[x, y]`` corners or a list of rings (outer rings and holes, even-odd), or ``file``: a
    GIS file whose Polygon and MultiPolygon features with field ``zone`` equal to this zone's name make its area
    (on a real territory, with the scenario's ``crs``: any vector file GDAL reads, with optional ``layer``,
    ``where`` and the file's own ``crs``; see ``sim.inputs.gis``). A file is read when the scenario is loaded,
    reprojected into the scenario's coordinates and written out as ``polygon`` (``file`` and the rest stay as a
    record of where it came from)."""

    box: tuple[Km, Km, Km, Km] | None = None
    polygon: tuple[tuple[XY, ...], ...] | None = None
    file: str | None = None
    layer: str | None = None
    where: str | None = None
    crs: str | None = None

    @field_validator("box")
    @classmethod
    def _ordered(cls, box: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        if box is not None and (box[0] > box[2] or box[1] > box[3]):
            raise ValueError(f"expected [x_min, y_min, x_max, y_max] with min <= max, got {list(box)}")
        return box

    @field_validator("polygon", mode="before")
    @classmethod
    def _one_ring(cls, value: Any) -> Any:
        # a single ring [[x, y], ...] is the common case; a list of rings has one more level
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)) and value[0] \
                and isinstance(value[0][0], (int, float)) and not isinstance(value[0][0], bool):
            return [value]
        return value

    @field_validator("polygon")
    @classmethod
    def _simple(cls, rings: tuple[tuple[tuple[float, float], ...], ...] | None) -> Any:
        if rings is not None and not rings:
            raise ValueError("expected a ring of [x, y] corners or a list of rings, got none")
        for k, ring in enumerate(rings or ()):
            problem = ring_problem(ring)
            if problem:
                raise ValueError(problem if len(rings or ()) == 1 else f"ring {k}: {problem}")
        return rings

    @model_validator(mode="after")
    def _one_shape(self) -> Area:
        if (self.box is None) == (self.polygon is None):
            if self.box is None and self.file is not None:
                raise ValueError(f"no zone polygon could be read from {self.file}")
            raise ValueError("expected one of box: [x_min, y_min, x_max, y_max], polygon: [[x, y], ...] or file: "
                             "a GeoJSON file of zone polygons")
        return self

    def shape(self) -> tuple[tuple[float, float, float, float] | None, tuple[tuple[tuple[float, float], ...], ...]
                             | None]:
        """The ``(box, rings)`` pair ZoneMap takes."""
        return self.box, self.polygon


class GridLayer(Strict):
    """A GIS layer of where the grid's customers are (points or polygons, with an optional ``weight`` field: the
    customers at each), read in its own CRS into the working CRS (the scenario's ``crs`` is required)."""

    file: str = Field(min_length=1)
    layer: str | None = None
    where: str | None = None
    crs: str | None = None
    weight: str | None = Field(default=None, description="field with the customers at each feature (default 1)")


class Zone(Strict):
    """A service area with its own promise, road speed and geography. ``faults_at`` says where in its area faults
    occur: ``area`` (uniformly over it), ``roads`` (uniformly along its roads, as overhead lines and cables follow
    them; needs a road network) or a :class:`GridLayer` (in proportion to its customers). Storm faults, drawn
    around the cell's track, move to the nearest such place in their zone."""

    limits: Limits  # filled in for urban, rural and mountain before validation
    speed_kmh: Speed = Field(description="typical driving speed on this zone's roads")
    area: Area
    faults_at: Literal["area", "roads"] | GridLayer = "area"
    customers: Annotated[int | None, WithJsonSchema({  # the file may say 'layer': the loader counts them
        "anyOf": [{"type": "integer", "exclusiveMinimum": 0, "maximum": MAX_CUSTOMERS}, {"const": "layer"},
                  {"type": "null"}],
        "default": None,
        "description": "customers served (N_T for indices); 'layer': the customers of the zone's faults_at layer "
                       "inside its area"})] = Field(default=None, gt=0, le=MAX_CUSTOMERS)


class VanWork(Strict):
    """What a mobile service van can do for a fault type: light work taking ``work`` minutes, which is the whole
    repair for a share ``fixes`` of these faults (a fuse, a reset) and, when ``restores``, gets the customers'
    supply back temporarily while the fault waits for its crew; reconnecting them to the repaired network later
    cuts them off again for ``reconnect`` minutes. Whether a van can fix a fault is known for sure only once it is
    there: the customer's call tells the dispatch centre with probability ``triage``; otherwise it knows only the
    share ``fixes``, and its guess is a draw with that share."""

    work: Distribution = Distribution.model_validate(30)
    fixes: float = Field(default=0.0, ge=0, le=1)
    restores: bool = False
    reconnect: MinutesOrZero = 30.0
    triage: float = Field(default=0.7, ge=0, le=1)


class Switching(Strict):
    """Restoration in stages: once a unit with one of ``skills`` (default: any skill of the fault type) is on
    site, isolating the fault and switching a share ``share`` of its customers to another feeder takes ``time``
    minutes; those customers have supply back then, the rest when the fault is repaired."""

    share: float = Field(gt=0, le=1)
    time: MinutesOrZero = 30.0
    skills: list[str] | None = None


class FaultType(Strict):
    """A kind of fault: the skills its repair needs (one unit with them all, or several that together have them),
    how long the repair takes, how many customers it cuts off, the share that cut off critical customers
    (hospitals), what a van can do for it, and whether part of its customers can be switched to another feeder
    before the repair."""

    skills: list[str] = Field(min_length=1)
    repair: Distribution
    customers: Distribution = Distribution.model_validate(1)
    critical: float = Field(default=0.0, ge=0, le=1, description="share of faults cutting off critical customers")
    van: VanWork | None = None
    switching: Switching | None = None


class TravelSettings(Strict):
    """How units drive. ``straight_line``: distance x circuity, half the way at each end's zone speed.
    ``road_network``: shortest routes over the roads of ``network``, relative to the scenario file: OpenStreetMap
    (``.osm.pbf``, ``.osm`` XML or an OSMnx ``.graphml``, read with OSMnx's rules), or GeoJSON LineStrings; on a
    real territory (the scenario's ``crs``) reprojected into the working CRS, else in ``units``: degrees
    (projected around ``origin``) or metres,
    at ``speeds`` by road class times the ``terrain`` factor of the zone a road lies in; points snap to the
    nearest junction and drive the snap at ``snap_speed_kmh``. ``variability``: a random factor on every trip's
    time (e.g. lognorm with scale 1)."""

    model: Literal["straight_line", "road_network"] = "straight_line"
    circuity: float = Field(default=1.3, ge=1.0, le=10.0, description="road km per straight-line km")
    network: str | None = None
    units: Literal["degrees", "metres"] | None = Field(
        default=None, description="coordinates of GeoJSON files without a crs (a local area): degrees or metres")
    origin: LonLat | None = None
    speeds: dict[str, Speed] = Field(default_factory=dict, description="km/h by road class")
    terrain: dict[str, Factor] = Field(default_factory=dict, description="speed factor by zone")
    snap_speed_kmh: Speed = 15.0
    max_snap_km: Km = Field(default=5.0, gt=0, description="farthest a depot or staging point may lie from a road")
    variability: Distribution | None = None

    @model_validator(mode="after")
    def _network_given(self) -> TravelSettings:
        if self.model == "road_network" and not self.network:
            raise ValueError("model road_network needs network: an OpenStreetMap (.osm.pbf, .osm, .graphml) or "
                             "GeoJSON file of roads")
        return self


class Scenario(Strict):
    """Everything one simulation needs, resolved: no field is left to a later default."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    time_unit: Literal["minutes"] = "minutes"
    start: When = dt.datetime(2026, 6, 1)
    horizon: Annotated[Minutes, Field(ge=1)]  # (a horizon that rounds to 0 hours would divide by zero)
    replications: int = Field(default=20, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=1, ge=0, lt=2**128)
    crs: str | None = Field(default=None, description=(
        "working CRS of a real territory: a metric projected CRS (EPSG:NNNN), or auto for the territory's UTM zone; "
        "coordinates in the scenario are km in it. None: a local area in km, with no place on Earth"))
    zones: dict[str, Zone] = Field(min_length=1)
    fault_types: dict[str, FaultType] = Field(min_length=1)
    arrivals: Arrivals
    depots: dict[str, Depot] = Field(min_length=1)
    travel: TravelSettings = TravelSettings()
    dispatch: Dispatch = Dispatch()
    mutual_aid: MutualAid | None = None
    prestage: Prestage | None = None
    forecast: Forecasting | None = None
    plans: dict[str, Plan] = Field(default_factory=dict, description="emergency plans by name")
    priority: Priority = Priority()
    prevention: dict[str, Programme] = Field(default_factory=dict,
                                             description="prevention programmes at a price, by name")
    reliability: Reliability = Reliability()
    communication: Communication = Communication()
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                                description="policy variants: overrides merged over this scenario")
    expect: Expect | None = None
    loader: ClassVar[Callable[..., Scenario]]
    """``load_scenario``, set by ``sim.scenario.loading`` (the loader builds on this schema, so the schema cannot
    import it)."""
    _base_dir: str = PrivateAttr(default=".")  # folder of the scenario file: relative paths in it start here

    def unit_count(self) -> int:
        """Units in the depots' groups: each group's round-the-clock count plus every shift of its roster."""
        return sum(g.count + sum(s.count for s in g.roster) for d in self.depots.values() for g in d.units)

    def rate_factor(self, fault_type: str) -> float:
        """What prevention leaves of ``fault_type``'s rate: the plain factor of ``arrivals.prevention`` times each
        programme's."""
        factor = self.arrivals.prevention.get(fault_type, 1.0)
        for programme in self.prevention.values():
            factor *= programme.factor(fault_type)
        return factor

    def __repr__(self) -> str:
        return (f"<Scenario {self.name!r}: {len(self.zones)} zones ({', '.join(self.zones)}), "
                f"{len(self.fault_types)} fault types, {self.unit_count()} units in {len(self.depots)} depots, "
                f"{self.horizon / 1440:g} days from {self.start:%Y-%m-%d}, {self.replications} replications>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(z)}</td><td>{zone.limits.arrive:g} min</td>"
                       f"<td>{zone.limits.restore / 60:g} h</td></tr>" for z, zone in self.zones.items())
        return (f"<p><b>{html.escape(self.name)}</b>: {len(self.fault_types)} fault types, {self.unit_count()} units "
                f"in {len(self.depots)} depots ({html.escape(', '.join(self.depots))}), {self.horizon / 1440:g} days "
                f"from {self.start:%Y-%m-%d}, {self.replications} replications, seed {self.seed}</p>"
                f"<table><tr><th>zone</th><th>on site within</th><th>power back within</th></tr>{rows}</table>")

    def path_of(self, relative: str) -> Path:
        """A path written in the scenario, relative to the scenario file's folder."""
        return Path(self._base_dir) / relative

    def zone_map(self) -> ZoneMap:
        """The zones' geometry (built once per process for the same areas)."""
        return _zone_map(tuple(z.area.shape() for z in self.zones.values()))

    def unit_groups(self) -> list[str]:
        """Ids of the unit groups, ``depot/group``, in scenario order."""
        return [f"{d}/{g.name}" for d, depot in self.depots.items() for g in depot.units]

    def resolved(self) -> dict[str, Any]:
        """Plain data of the scenario with every default filled in (what gets echoed into results)."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """sha256 of the resolved scenario, independent of key order and formatting in the file."""
        blob = json.dumps(self.resolved(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def with_changes(self, **changes: Any) -> Scenario:
        """A validated copy with top-level fields replaced (``replications=``, ``seed=`` ...)."""
        data = self.resolved()
        data.update(changes)
        return Scenario.loader(data, base_dir=self._base_dir)
