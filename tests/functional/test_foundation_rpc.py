"""novalite.rpc over the real RabbitMQ: the request context arrives as a
RequestContext (not a dict), objects travel both ways, casts are delivered
and novalite exceptions come back as their own classes."""

import json
import os
import subprocess
import textwrap

from tests.functional import cloud as cloud_mod

SCRIPT = textwrap.dedent('''
    import json
    import sys
    import threading

    from novalite import green
    green.monkey_patch()

    import oslo_messaging as messaging

    from novalite import config, context, exception, objects, rpc
    from novalite.objects import base as obj_base

    config.parse_args(sys.argv[1:])
    objects.register_all()
    cast_seen = threading.Event()
    received = {}

    class Endpoint:
        target = messaging.Target(version='1.0')

        def describe(self, ctxt, svc):
            return {'context_class': type(ctxt).__name__,
                    'user_id': ctxt.user_id, 'project_id': ctxt.project_id,
                    'roles': ctxt.roles, 'is_admin': ctxt.is_admin,
                    'request_id': ctxt.request_id,
                    'global_request_id': ctxt.global_request_id,
                    'svc_class': type(svc).__name__, 'svc_host': svc.host}

        def bump(self, ctxt, svc):
            svc.report_count += 1
            return svc

        def fail(self, ctxt):
            raise exception.Invalid(reason='nope')

        def note(self, ctxt, value):
            received['value'] = value
            received['context_class'] = type(ctxt).__name__
            cast_seen.set()

    serializer = obj_base.NovaliteObjectSerializer()
    server = rpc.get_server(
        messaging.Target(topic='nltest_rpc', server='h1'), [Endpoint()],
        serializer=serializer)
    server.start()
    try:
        ctxt = context.RequestContext(
            user_id='u1', project_id='p1', roles=['member'],
            request_id='req-11111111-2222-3333-4444-555555555555',
            global_request_id='req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')
        client = rpc.get_client(messaging.Target(topic='nltest_rpc'),
                                serializer=serializer).prepare(server='h1',
                                                               timeout=20)
        out = {'describe': client.call(ctxt, 'describe',
                                       svc=objects.Service(host='h9'))}
        bumped = client.call(ctxt, 'bump',
                             svc=objects.Service(host='h9', report_count=1))
        out['bumped'] = [type(bumped).__name__, bumped.report_count]
        try:
            client.call(ctxt, 'fail')
        except exception.Invalid as exc:
            out['remote_error'] = [isinstance(exc, exception.Invalid),
                                   exc.format_message()]
        client.cast(ctxt, 'note', value=42)
        out['cast'] = cast_seen.wait(20) and received
        print('RESULT ' + json.dumps(out))
    finally:
        server.stop()
        server.wait()
''')


def test_rpc_round_trip_over_rabbitmq(cloud_factory):
    cloud = cloud_factory()
    proc = subprocess.run(
        [os.path.join(cloud_mod.bin_dir(), 'python'), '-c', SCRIPT,
         '--config-file', cloud.conf_path],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=120, cwd=cloud.workdir)
    assert proc.returncode == 0, proc.stdout[-4000:]
    line = [l for l in proc.stdout.splitlines() if l.startswith('RESULT ')]
    assert line, proc.stdout[-4000:]
    out = json.loads(line[0][len('RESULT '):])
    assert out['describe'] == {
        'context_class': 'RequestContext', 'user_id': 'u1',
        'project_id': 'p1', 'roles': ['member'], 'is_admin': False,
        'request_id': 'req-11111111-2222-3333-4444-555555555555',
        'global_request_id': 'req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
        'svc_class': 'Service', 'svc_host': 'h9'}
    assert out['bumped'] == ['Service', 2]
    assert out['remote_error'][0] is True
    assert 'nope' in out['remote_error'][1]
    assert out['cast'] == {'value': 42, 'context_class': 'RequestContext'}
