"""The timestamp formats of Nova's server views."""

import datetime

from novalite.api.openstack import common

UTC = datetime.timezone.utc


def test_isotime_is_seconds_and_z():
    value = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert common.isotime(value) == '2026-01-02T03:04:05Z'
    assert common.isotime(value.replace(tzinfo=None)) == \
        '2026-01-02T03:04:05Z'
    assert common.isotime(None) is None


def test_strtime_is_microseconds_without_zone():
    value = datetime.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)
    assert common.strtime(value) == '2026-01-02T03:04:05.120000'
    assert common.strtime(value.replace(microsecond=0)) == \
        '2026-01-02T03:04:05.000000'
    assert common.strtime(None) is None
