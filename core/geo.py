"""Geometry for the nearby search: a cheap bounding box for the index, exact distance after."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geographiclib.geodesic import Geodesic

EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True, slots=True)
class BoundingBox:
    min_lat: float
    max_lat: float
    # One or two longitude ranges: a box across the antimeridian is split in two.
    lon_ranges: tuple[tuple[float, float], ...]


def bounding_box(lat: float, lon: float, radius_m: float) -> BoundingBox:
    """A box that contains every point within `radius_m` of (lat, lon) (slightly larger)."""
    dlat = radius_m / _M_PER_DEG_LAT * 1.01
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(min_lat), abs(max_lat))
    cos_lat = math.cos(math.radians(widest))
    if cos_lat < 1e-6 or radius_m / (_M_PER_DEG_LAT * cos_lat) >= 180:
        return BoundingBox(min_lat, max_lat, ((-180.0, 180.0),))
    dlon = radius_m / (_M_PER_DEG_LAT * cos_lat) * 1.01
    lo, hi = lon - dlon, lon + dlon
    if lo < -180:
        return BoundingBox(min_lat, max_lat, ((lo + 360, 180.0), (-180.0, hi)))
    if hi > 180:
        return BoundingBox(min_lat, max_lat, ((lo, 180.0), (-180.0, hi - 360)))
    return BoundingBox(min_lat, max_lat, ((lo, hi),))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; accurate to ~0.5 %, good for filtering and sorting."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The distance shown to a driver: exact on the WGS-84 ellipsoid. This is geopy's
    `geodesic` computed by its own engine (geographiclib, Karney's algorithm) asked for the
    distance only, which halves the cost of geopy's wrapper for the same figure."""
    return float(Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"])
