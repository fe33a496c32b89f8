"""The scheduler's RPC client: method, arguments, a call (not a cast)."""

from novalite import context as nl_context
from novalite.scheduler import rpcapi
from tests.unit import rpc_clients
from tests.unit.scheduler import fakes

U1 = '11111111-1111-1111-1111-111111111111'


def test_select_destinations_is_a_call_on_topic_scheduler():
    api, get_client = rpc_clients.build(rpcapi.SchedulerAPI, 'scheduler')
    client = get_client.return_value
    ctxt = nl_context.get_admin_context()
    spec = fakes.spec()
    answer = api.select_destinations(ctxt, spec, [U1])
    cctxt = client.prepare.return_value
    cctxt.call.assert_called_once_with(
        ctxt, 'select_destinations', request_spec=spec,
        instance_uuids=[U1], return_alternates=True)
    assert answer is cctxt.call.return_value
    assert not cctxt.cast.called

    api.select_destinations(ctxt, spec, (U1,), return_alternates=False,
                            timeout=7)
    client.prepare.assert_called_with(timeout=7)
    assert cctxt.call.call_args.kwargs['return_alternates'] is False
