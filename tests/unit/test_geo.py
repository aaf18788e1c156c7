"""The bounding box never misses a point inside the search radius, anywhere on Earth."""

from __future__ import annotations

from geopy.distance import distance as geopy_distance
from hypothesis import given
from hypothesis import strategies as st

from core.geo import bounding_box, geodesic_m, geodesic_rounded_m, haversine_m


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


@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180, 180),
    metres=st.floats(0, 60_000),
    bearing=st.floats(0, 360),
)
def test_rounded_shown_distance_is_the_exact_one_rounded(
    lat: float, lon: float, metres: float, bearing: float
) -> None:
    point = geopy_distance(meters=metres).destination((lat, lon), bearing)
    assert geodesic_rounded_m(lat, lon, point.latitude, point.longitude) == round(
        geodesic_m(lat, lon, point.latitude, point.longitude)
    )


def test_rounded_shown_distance_near_a_half_metre_is_left_to_the_exact_algorithm() -> None:
    # 1,234.5 m due north, give or take far less than the two algorithms' margin.
    point = geopy_distance(meters=1_234.5).destination((50.45, 30.52), 0)
    exact = geodesic_m(50.45, 30.52, point.latitude, point.longitude)
    assert abs(exact - 1_234.5) < 1e-6
    assert geodesic_rounded_m(50.45, 30.52, point.latitude, point.longitude) == round(exact)
