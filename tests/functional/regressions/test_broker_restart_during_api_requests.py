"""Regression: a request caught by a RabbitMQ restart answered 500 after
``rpc_response_timeout`` (a MessagingTimeout on the API's flavor lookup).

Now the API sends its reads again once the broker is back, within ``[api]
request_deadline``: requests sent while the broker restarts complete.
"""

import json
import threading
import time

from tests.functional import boot_client as bc


def test_requests_during_a_broker_restart_complete(rabbit_node,
                                                   cloud_factory, tmp_path):
    def factory(conf_overrides=None):
        return cloud_factory(conf_overrides=conf_overrides,
                             rabbit=rabbit_node)

    cloud = bc.start_boot_cloud(factory, {'fake-1': None}, conf_overrides={
        'api': {'request_deadline': 45}})
    try:
        bc.start_api(cloud)
        image = bc.import_image(cloud, tmp_path)
        admin = bc.Api(cloud)
        bc.create_flavor(admin, '601', 64)

        requests = [('GET', '/flavors', None),
                    ('GET', '/flavors/601', None),
                    ('GET', '/servers/detail', None),
                    ('POST', '/servers', {'server': {
                        'name': 'caught', 'flavorRef': '601',
                        'imageRef': image}})]
        answers = {}

        def send(index, method, path, body):
            started = time.monotonic()
            resp = bc.Api(cloud)(method, path, body)
            answers[index] = (resp.status_code, resp.text,
                              time.monotonic() - started)

        rabbit_node.ctl('stop_app')
        threads = [threading.Thread(target=send, args=(i,) + request)
                   for i, request in enumerate(requests)]
        try:
            for thread in threads:
                thread.start()
            time.sleep(4)
        finally:
            rabbit_node.ctl('start_app')
        for thread in threads:
            thread.join(90)
        for i, (method, path, _body) in enumerate(requests):
            status, text, took = answers[i]
            print('%s %s across a broker restart: %d after %.1f s'
                  % (method, path, status, took))
            assert status in (200, 202), (method, path, status, text)
        created = [text for status, text, _took in answers.values()
                   if status == 202]
        server_id = json.loads(created[0])['server']['id']
        admin.wait([server_id], ('ACTIVE',), timeout=120)
    finally:
        bc.stop_daemons(cloud)
