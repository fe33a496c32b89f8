"""Fixed-IP allocation: the pool, uniqueness, idempotence, freeing."""

import threading

import pytest

from novalite.db import fixed_ips
from novalite import exception
from novalite.network import api as network_api
from novalite import objects
from tests.unit.compute import fakes


def test_pool_skips_network_gateway_and_broadcast():
    pool = fixed_ips.pool_addresses('10.0.0.0/29')
    assert pool == ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5',
                    '10.0.0.6']


def test_allocate_is_unique_idempotent_and_freed(local_objects, flags):
    flags(group='network', fixed_range='10.1.0.0/29', network_name='priv')
    api = network_api.API()
    ctxt = fakes.ctxt()
    insts = [fakes.instance(ctxt, action=None) for _ in range(6)]
    vifs = [api.allocate_for_instance(ctxt, i, 'cn1')[0] for i in insts[:5]]
    assert sorted(v['address'] for v in vifs) == \
        fixed_ips.pool_addresses('10.1.0.0/29')
    assert len({v['mac'] for v in vifs}) == 5
    assert all(v['mac'].startswith('fa:16:3e:') for v in vifs)
    assert vifs[0] == {'address': vifs[0]['address'], 'mac': vifs[0]['mac'],
                       'network': 'priv', 'type': 'fixed', 'version': 4}
    assert api.allocate_for_instance(ctxt, insts[0], 'cn1')[0] == vifs[0]
    with pytest.raises(exception.NoMoreFixedIps):
        api.allocate_for_instance(ctxt, insts[5], 'cn1')
    assert api.deallocate_for_instance(ctxt, insts[1]) == 1
    assert api.get_instance_nw_info(ctxt, insts[1]) == []
    again = api.allocate_for_instance(ctxt, insts[5], 'cn2')[0]
    assert again['address'] == vifs[1]['address']
    assert again['mac'] != vifs[1]['mac']
    allocated = objects.FixedIPList.get_allocated(ctxt, network='priv',
                                                  host='cn2')
    assert [str(f.address) for f in allocated] == [again['address']]


def test_threads_never_share_an_address(local_objects, flags):
    flags(group='network', fixed_range='10.2.0.0/27')
    api = network_api.API()
    ctxt = fakes.ctxt()
    insts = [fakes.instance(ctxt, action=None) for _ in range(20)]
    got, errors = [], []

    def allocate(inst):
        try:
            got.append(api.allocate_for_instance(ctxt, inst)[0]['address'])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=allocate, args=(i,)) for i in insts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(got) == len(set(got)) == 20


def test_a_losing_duplicate_build_frees_only_its_own_address(local_objects):
    """The same instance built on two hosts at once (a re-driven build):
    the loser's clean-up must not free the winner's address."""
    api = network_api.API()
    ctxt = fakes.ctxt()
    inst = fakes.instance(ctxt, action=None)
    winner = api.allocate_for_instance(ctxt, inst, 'cnA')[0]
    loser = api.allocate_for_instance(ctxt, inst, 'cnB')[0]
    assert winner['address'] != loser['address']
    assert api.deallocate_for_instance(ctxt, inst, host='cnB') == 1
    assert api.get_instance_nw_info(ctxt, inst) == [winner]
    assert api.deallocate_for_instance(ctxt, inst) == 1
