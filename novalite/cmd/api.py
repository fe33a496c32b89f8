"""novalite-api: the compute API (8774) and the metadata API (8775).

Builds one paste app per ``enabled_apis`` entry from ``[wsgi]
api_paste_config``, binds its socket, and serves it on the eventlet WSGI
server with ``osapi_compute_workers`` / ``metadata_workers`` processes.
"""

from oslo_concurrency import processutils
from oslo_log import log as logging
from oslo_service import service as os_service
from paste import deploy

from novalite.api import auth
from novalite.api import middleware
from novalite.api.paste_config import find_paste_config
from novalite.cmd import common
from novalite import conf
from novalite import exception
from novalite import green
from novalite import service as novalite_service

CONF = conf.CONF
LOG = logging.getLogger(__name__)

def _listen_options(api):
    if api == 'osapi_compute':
        return (CONF.osapi_compute_listen, CONF.osapi_compute_listen_port,
                CONF.osapi_compute_workers)
    if api == 'metadata':
        return (CONF.metadata_listen, CONF.metadata_listen_port,
                CONF.metadata_workers)
    raise exception.ConfigError(option='[DEFAULT] enabled_apis',
                                reason='unknown API %s' % api)


class WSGIService(os_service.ServiceBase):
    """One API's listening socket and green WSGI server."""

    def __init__(self, name, paste_file):
        self.name = name
        host, port, workers = _listen_options(name)
        if name == 'osapi_compute':
            auth.check_listen_address(host, port)
        self.workers = workers or processutils.get_worker_count()
        self.app = middleware.last_resort(
            deploy.loadapp('config:%s' % paste_file, name=name))
        try:
            self.socket = green.listen(host, port)
        except OSError as exc:
            raise exception.ConfigError(
                option='[DEFAULT] %s_listen_port' % name,
                reason='cannot listen on %s:%s: %s' % (host, port, exc))
        self.host, self.port = self.socket.getsockname()[:2]
        self._server = None

    def start(self):
        LOG.info('%s listening on %s:%s', self.name, self.host, self.port)
        self._server = green.spawn(
            green.serve_wsgi, self.socket, self.app,
            logging.getLogger('novalite.api.%s' % self.name),
            socket_timeout=CONF.wsgi.client_socket_timeout or None)

    def stop(self):
        if self._server is not None:
            self._server.kill()

    def wait(self):
        if self._server is not None:
            try:
                self._server.wait()
            except green.GreenletExit:  # killed by stop()
                pass

    def reset(self):
        CONF.mutate_config_files()


def main():
    def _start():
        common.setup('novalite-api')
        paste_file = find_paste_config()
        services = [WSGIService(api, paste_file) for api in
                    CONF.enabled_apis]
        launcher = novalite_service.process_launcher()
        for service in services:
            launcher.launch_service(service, workers=service.workers)
        launcher.wait()
    common.run('novalite-api', _start)
