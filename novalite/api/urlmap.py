"""Dispatch by URL prefix (paste composite), longest prefix first.

``/v2.1/servers`` reaches the app mapped to ``/v2.1`` with
``SCRIPT_NAME=/v2.1`` and ``PATH_INFO=/servers``. As in Nova's paste file,
a prefix may be given twice: ``/v2.1/+`` then takes everything below
``/v2.1/`` and plain ``/v2.1`` only the bare path (the version document,
served without a token). A prefix given once takes both.
"""

from novalite.api.openstack import faults

_NOT_FOUND = faults.fault_response(
    404, 'The resource could not be found.').body


class URLMap:
    def __init__(self, apps):
        """:param apps: ``{prefix: app}``; a prefix ending in ``/+`` takes
        only the paths below it."""
        below = {p[:-2] for p in apps if p.endswith('/+')}
        entries = []
        for prefix, app in apps.items():
            if prefix.endswith('/+'):
                entries.append((prefix[:-2], app, False, True))
            else:
                entries.append((prefix, app, True, prefix not in below))
        # Longest prefix first so /v2.1 wins over /v2 and /.
        self.apps = sorted(entries, key=lambda e: -len(e[0]))

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '') or '/'
        for prefix, app, bare, subpaths in self.apps:
            if prefix == '/':
                return app(environ, start_response)
            if (bare and path == prefix) or (
                    subpaths and path.startswith(prefix + '/')):
                environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME',
                                                     '') + prefix
                environ['PATH_INFO'] = path[len(prefix):]
                return app(environ, start_response)
        start_response('404 Not Found', [('Content-Type',
                                          'application/json')])
        return [_NOT_FOUND]


def urlmap_factory(loader, global_conf, **local_conf):
    apps = {}
    for path, app_name in local_conf.items():
        subpaths = path.rstrip('/').endswith('/+')
        path = path.rstrip('/')
        if subpaths:
            path = path[:-2]
        path = '/' + path.strip('/') if path.strip('/') else '/'
        if subpaths and path != '/':
            path += '/+'
        apps[path] = loader.get_app(app_name, global_conf=global_conf)
    return URLMap(apps)
