"""DB layer: the allocated fixed IP of an address (metadata API lookup)."""

import pytest

from novalite.db import fixed_ips
from novalite import exception


def test_get_by_address_only_finds_allocated(db, admin_ctxt):
    row = fixed_ips.fixed_ip_associate_pool(
        admin_ctxt, 'novalite', '10.3.0.0/29',
        'a1b2c3d4-0000-4000-8000-000000000001', 'cn1')
    got = fixed_ips.fixed_ip_get_by_address(admin_ctxt, row['address'])
    assert got['instance_uuid'] == 'a1b2c3d4-0000-4000-8000-000000000001'
    assert got['mac'] == row['mac']
    free = [a for a in fixed_ips.pool_addresses('10.3.0.0/29')
            if a != row['address']][0]
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        fixed_ips.fixed_ip_get_by_address(admin_ctxt, free)
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        fixed_ips.fixed_ip_get_by_address(admin_ctxt, '192.0.2.1')
    fixed_ips.fixed_ip_disassociate_all_by_instance(
        admin_ctxt, 'a1b2c3d4-0000-4000-8000-000000000001')
    with pytest.raises(exception.FixedIpNotFoundForAddress):
        fixed_ips.fixed_ip_get_by_address(admin_ctxt, row['address'])


def test_associate_returns_the_row_as_stored(db, admin_ctxt):
    uuid = 'a1b2c3d4-0000-4000-8000-000000000002'
    row = fixed_ips.fixed_ip_associate_pool(admin_ctxt, 'novalite',
                                            '10.4.0.0/29', uuid, 'cn1')
    stored = fixed_ips.fixed_ip_get_by_address(admin_ctxt, row['address'])
    for key in ('id', 'network', 'address', 'mac', 'instance_uuid', 'host',
                'allocated', 'created_at', 'updated_at'):
        assert row[key] == stored[key], key
    # Asked again for the same host: the same address, read back.
    again = fixed_ips.fixed_ip_associate_pool(admin_ctxt, 'novalite',
                                              '10.4.0.0/29', uuid, 'cn1')
    assert (again['id'], again['mac']) == (row['id'], row['mac'])


def test_a_deadlock_victim_takes_again(db, admin_ctxt, monkeypatch):
    import pymysql
    import sqlalchemy as sa
    macs = iter(['fa:16:3e:00:00:01'])
    calls = []

    def mac_or_deadlock():
        calls.append(1)
        if len(calls) == 1:
            # What the server answers when it rolls this taker back.
            raise sa.exc.OperationalError(
                'UPDATE fixed_ips', {}, pymysql.err.OperationalError(
                    1213, 'Deadlock found when trying to get lock'))
        return next(macs)
    monkeypatch.setattr(fixed_ips, 'random_mac', mac_or_deadlock)
    monkeypatch.setattr(fixed_ips.time, 'sleep', lambda seconds: None)
    uuid = 'a1b2c3d4-0000-4000-8000-000000000003'
    row = fixed_ips.fixed_ip_associate_pool(admin_ctxt, 'novalite',
                                            '10.5.0.0/29', uuid, 'cn1')
    assert row['mac'] == 'fa:16:3e:00:00:01' and len(calls) == 2
    stored = fixed_ips.fixed_ip_get_by_address(admin_ctxt, row['address'])
    assert stored['instance_uuid'] == uuid


def test_other_operational_errors_are_not_retried(db, admin_ctxt,
                                                  monkeypatch):
    import pymysql
    import sqlalchemy as sa

    def lost():
        raise sa.exc.OperationalError(
            'UPDATE fixed_ips', {}, pymysql.err.OperationalError(
                2013, 'Lost connection'))
    monkeypatch.setattr(fixed_ips, 'random_mac', lost)
    with pytest.raises(sa.exc.OperationalError):
        fixed_ips.fixed_ip_associate_pool(
            admin_ctxt, 'novalite', '10.6.0.0/29',
            'a1b2c3d4-0000-4000-8000-000000000004', 'cn1')
