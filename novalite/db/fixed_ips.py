"""Fixed IPs of the flat network: one row per address, taken atomically.

The pool of a network is its CIDR minus the network address, the gateway
(first host) and the broadcast address; rows are created on first use.
Taking an address is a compare-and-swap ``UPDATE ... WHERE id = ? AND
allocated = 0``, so concurrent builds in any number of conductor workers
never share an address; MACs are unique by constraint.
"""

import random
import time

import netaddr
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from novalite.db import api
from novalite.db import models
from novalite import exception

F = models.FixedIP
_CANDIDATES = 16
_ATTEMPTS = 50
_MAX_POOL = 65536


def pool_addresses(cidr):
    """Addresses instances may get from ``cidr``, in order."""
    net = netaddr.IPNetwork(cidr)
    hosts = list(net.iter_hosts()) if net.size <= _MAX_POOL + 2 else \
        list(netaddr.IPRange(net.first + 1, net.first + _MAX_POOL))
    # The first host address is the gateway on the compute bridge.
    return [str(ip) for ip in hosts[1:]]


def random_mac():
    """A locally administered MAC in the prefix Nova uses (fa:16:3e)."""
    return 'fa:16:3e:%02x:%02x:%02x' % tuple(random.randint(0, 255)
                                              for _ in range(3))


def _ensure_pool(network, cidr):
    with api.writer() as session:
        have = set(session.scalars(sa.select(F.address)
                                   .where(F.network == network)))
    missing = [a for a in pool_addresses(cidr) if a not in have]
    if not missing:
        return
    try:
        with api.writer() as session:
            session.execute(sa.insert(F), [
                {'network': network, 'address': a, 'allocated': False,
                 'created_at': api.utcnow()} for a in missing])
    except exception.DBDuplicateEntry:
        pass  # another worker filled the pool at the same time


# fixed_ip_associate_pool's statements (one run per build), built once (see
# novalite.db.api).
FT = F.__table__
_bind = sa.bindparam
_TAKEN_FOR = sa.select(FT).where(
    FT.c.network == _bind('b_network'),
    FT.c.instance_uuid == _bind('b_instance_uuid'))
_TAKEN_FOR_HOST = _TAKEN_FOR.where(FT.c.host == _bind('b_host'))
_TAKEN_FOR_NO_HOST = _TAKEN_FOR.where(FT.c.host.is_(None))
_FREE = (sa.select(FT.c.id, FT.c.address, FT.c.created_at)
         .where(FT.c.network == _bind('b_network'),
                FT.c.allocated.is_(False))
         .order_by(FT.c.id).limit(_CANDIDATES))
# SET takes the columns the parameters name.
_TAKE = sa.update(FT).where(FT.c.id == _bind('b_id'),
                            FT.c.allocated.is_(False))


def fixed_ip_associate_pool(context, network, cidr, instance_uuid, host):
    """Give ``instance_uuid`` a free address and a fresh MAC.

    Idempotent per host: an instance that has an address on ``network``
    taken for ``host`` keeps it (a build started twice on two hosts gets
    two addresses, each freed by its own build's clean-up).
    One transaction in the common case: look for the instance's address,
    pick candidates, take one with a compare-and-swap.

    :raises: NoMoreFixedIps
    """
    populated = False
    for _attempt in range(_ATTEMPTS):
        try:
            with api.writer() as session:
                connection = session.connection()
                taken = {'b_network': network,
                         'b_instance_uuid': instance_uuid}
                if host is None:
                    taken = connection.execute(_TAKEN_FOR_NO_HOST, taken)
                else:
                    taken = connection.execute(_TAKEN_FOR_HOST,
                                               dict(taken, b_host=host))
                row = taken.mappings().first()
                if row is not None:
                    return dict(row)
                ids = list(connection.execute(_FREE,
                                              {'b_network': network}))
                random.shuffle(ids)
                for fixed_id, address, created_at in ids:
                    values = {'allocated': True,
                              'instance_uuid': instance_uuid, 'host': host,
                              'mac': random_mac(), 'updated_at': api.utcnow()}
                    result = connection.execute(_TAKE,
                                                dict(values, b_id=fixed_id))
                    if result.rowcount == 1:
                        # Everything the row holds is known: no re-read.
                        return dict(values, id=fixed_id, network=network,
                                    address=address, created_at=created_at)
        except exception.DBDuplicateEntry:
            continue  # MAC collision: try again with another MAC
        except sa_exc.OperationalError as exc:
            # Concurrent takers lock the same unique-index ranges (mac,
            # instance_uuid): the server may pick this one as a deadlock's
            # victim, which rolled it back whole; take again.
            if not api.is_deadlock(exc):
                raise
            time.sleep(random.uniform(0.001, 0.01))
            continue
        if not ids:
            if populated:
                raise exception.NoMoreFixedIps(net=network)
            _ensure_pool(network, cidr)
            populated = True
    raise exception.NoMoreFixedIps(net=network)


@api.retry_lost_race
def fixed_ip_disassociate_all_by_instance(context, instance_uuid,
                                          host=None):
    """Return the instance's addresses (those taken for ``host`` only,
    when given) to the pool; returns the count."""
    with api.writer() as session:
        stmt = sa.update(F).where(F.instance_uuid == instance_uuid)
        if host is not None:
            stmt = stmt.where(F.host == host)
        result = session.execute(
            stmt.values(allocated=False, instance_uuid=None, host=None,
                    mac=None, updated_at=api.utcnow()))
        return result.rowcount


def fixed_ip_get_by_instance(context, instance_uuid):
    with api.reader() as session:
        return [api.to_dict(r) for r in session.scalars(
            sa.select(F).where(F.instance_uuid == instance_uuid)
            .order_by(F.id))]


def fixed_ip_get_by_address(context, address):
    """The allocated row of ``address`` (the metadata API finds the
    requesting instance by it).

    :raises: FixedIpNotFoundForAddress (also for a free address)
    """
    with api.reader() as session:
        row = session.scalars(sa.select(F).where(
            F.address == str(address), F.allocated.is_(True))
            .order_by(F.id)).first()
        if row is None:
            raise exception.FixedIpNotFoundForAddress(address=address)
        return api.to_dict(row)


def fixed_ip_get_allocated(context, network=None, host=None):
    """Allocated addresses, optionally of one network and/or host."""
    with api.reader() as session:
        stmt = sa.select(F).where(F.allocated.is_(True))
        if network is not None:
            stmt = stmt.where(F.network == network)
        if host is not None:
            stmt = stmt.where(F.host == host)
        return [api.to_dict(r) for r in session.scalars(stmt.order_by(F.id))]
