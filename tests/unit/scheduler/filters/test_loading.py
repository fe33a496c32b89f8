"""Filters come from ``available_filters`` and are picked by name."""

import pytest

from novalite import exception
from novalite.scheduler import filters


class OnlyEvenHostsFilter(filters.BaseHostFilter):
    """A custom filter that only implements host_passes."""

    def host_passes(self, host_state, request):
        return int(host_state.host[-1]) % 2 == 0


def custom_filters():
    return [OnlyEvenHostsFilter]


def test_all_filters_are_loadable_by_name():
    names = [cls.__name__ for cls in filters.all_filters()]
    loaded = filters.enabled_filters(
        ['novalite.scheduler.filters.all_filters'], names)
    assert [f.name() for f in loaded] == names
    for name in ('RetryFilter', 'AvailabilityZoneFilter', 'RamFilter',
                 'CoreFilter', 'DiskFilter', 'ComputeFilter',
                 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter',
                 'ServerGroupAffinityFilter',
                 'ServerGroupAntiAffinityFilter', 'SameHostFilter',
                 'DifferentHostFilter'):
        assert name in names


def test_custom_filter_by_class_path_and_by_function():
    for path in (__name__ + '.OnlyEvenHostsFilter',
                 __name__ + '.custom_filters'):
        loaded = filters.enabled_filters(
            ['novalite.scheduler.filters.all_filters', path],
            ['RamFilter', 'OnlyEvenHostsFilter'])
        assert [type(f) for f in loaded][1] is OnlyEvenHostsFilter


def test_unknown_filter_name_is_a_config_error():
    with pytest.raises(exception.ConfigError) as err:
        filters.enabled_filters(['novalite.scheduler.filters.all_filters'],
                                ['NoSuchFilter'])
    assert 'NoSuchFilter' in str(err.value)


def test_bad_class_path_is_a_config_error():
    with pytest.raises(exception.ConfigError):
        filters.enabled_filters(['novalite.scheduler.filters.nope'], [])
    with pytest.raises(exception.ConfigError):
        filters.enabled_filters(['collections.OrderedDict'], [])
