"""The bounding box never misses a point inside the search radius, anywhere on Earth."""

from __future__ import annotations

from geopy.distance import distance as geopy_distance
from hypothesis import given
from hypothesis import strategies as st

from core.geo import bounding_box, geodesic_m, haversine_m


def inside(
    box_lat: tuple[float, float], ranges: tuple[tuple[float, float], ...], lat: float, lon: float
) -> bool:
    return box_lat[0] <= lat <= box_lat[1] and any(lo <= lon <= hi for lo, hi in ranges)


@given(
    lat=st.floats(-85, 85),
    lon=st.floats(-180, 180),
    radius=st.integers(100, 50_000),
    bearing=st.floats(0, 360),
    fraction=st.floats(0, 1),
)
def test_box_contains_every_point_within_the_radius(
    lat: float, lon: float, radius: int, bearing: float, fraction: float
) -> None:
    point = geopy_distance(meters=radius * fraction * 0.995).destination((lat, lon), bearing)
    box = bounding_box(lat, lon, radius)
    assert inside((box.min_lat, box.max_lat), box.lon_ranges, point.latitude, point.longitude)


def test_fast_distance_agrees_with_the_shown_distance() -> None:
    d_fast = haversine_m(50.45, 30.52, 50.46, 30.54)
    d_exact = geodesic_m(50.45, 30.52, 50.46, 30.54)
    assert abs(d_fast - d_exact) / d_exact < 0.005
