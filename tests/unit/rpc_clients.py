"""Building an ``rpcapi.py`` client with the transport mocked."""

from unittest import mock

from novalite.objects import base as objects_base
from novalite import rpc


def build(api_class, topic, version='1.0'):
    """``(api, get_client)``: ``api_class()`` built with ``rpc.get_client``
    mocked, after asserting it asked for ``topic`` at ``version`` with the
    objects serializer."""
    with mock.patch.object(rpc, 'get_client') as get_client:
        api = api_class()
    (target,), kwargs = get_client.call_args
    assert (target.topic, target.version) == (topic, version)
    assert isinstance(kwargs['serializer'],
                      objects_base.NovaliteObjectSerializer)
    return api, get_client
