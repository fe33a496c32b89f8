"""novalite-manage: database, service and (later) image/flavor administration.

Runs against the database directly, like nova-manage; it is the one tool
besides the conductor allowed to.
"""

import sys

from oslo_config import cfg
from oslo_utils import timeutils

from novalite import config
from novalite import context as nl_context
from novalite import exception
from novalite import objects

CONF = cfg.CONF


def _print_table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    print(line)
    print('| ' + ' | '.join(str(h).ljust(w)
                            for h, w in zip(headers, widths)) + ' |')
    print(line)
    for row in rows:
        print('| ' + ' | '.join(str(c).ljust(w)
                                for c, w in zip(row, widths)) + ' |')
    print(line)


class DbCommands:
    """``db sync``, ``db version``."""

    def sync(self, version=None):
        from novalite.db import migration
        migration.db_sync(version or 'head')
        return 0

    def version(self):
        from novalite.db import migration
        print(migration.db_version() or 'None')
        return 0


class ServiceCommands:
    """``service list``, ``service enable``, ``service disable``."""

    def list(self, host=None):
        ctxt = nl_context.get_admin_context()
        services = objects.ServiceList.get_all(ctxt, host=host)
        rows = []
        for svc in services:
            state = 'up' if svc.is_up(CONF.service_down_time) else 'down'
            status = 'disabled' if svc.disabled else 'enabled'
            zone = (svc.availability_zone or
                    (CONF.default_availability_zone
                     if svc.binary == 'novalite-compute'
                     else CONF.internal_service_availability_zone))
            updated = svc.last_seen_up or svc.updated_at
            rows.append((svc.id, svc.binary, svc.host, zone, status, state,
                         updated.isoformat() if updated else ''))
        _print_table(('Id', 'Binary', 'Host', 'Zone', 'Status', 'State',
                      'Updated_At'), rows)
        return 0

    def _set_disabled(self, host, binary, disabled, reason=None):
        ctxt = nl_context.get_admin_context()
        try:
            svc = objects.Service.get_by_host_and_binary(ctxt, host, binary)
        except exception.HostBinaryNotFound as exc:
            print(exc.format_message(), file=sys.stderr)
            return 2
        svc.disabled = disabled
        svc.disabled_reason = reason if disabled else None
        svc.save()
        return 0

    def enable(self, host, binary):
        return self._set_disabled(host, binary, False)

    def disable(self, host, binary, reason=None):
        return self._set_disabled(host, binary, True, reason)


class ImageCommands:
    """``image import``, ``image list``, ``image delete`` (the file backend,
    or whichever ``[image] backend`` names)."""

    _FIELDS = ('id', 'name', 'status', 'disk_format', 'container_format',
               'size', 'checksum', 'min_ram', 'min_disk', 'visibility',
               'created_at')

    @staticmethod
    def _api():
        from novalite.image import api
        return api.API()

    def import_(self, image_name, file, disk_format, container_format=None,
                properties=None, min_ram=0, min_disk=0, visibility='public'):
        props = {}
        for item in properties or []:
            key, sep, value = item.partition('=')
            if not sep or not key:
                print('--property takes key=value, not %r' % item,
                      file=sys.stderr)
                return 2
            props[key] = value
        try:
            image = self._api().import_image(
                nl_context.get_admin_context(), file, image_name,
                disk_format, container_format=container_format,
                properties=props, min_ram=min_ram, min_disk=min_disk,
                visibility=visibility)
        except OSError as exc:
            print('Cannot read %s: %s' % (file, exc.strerror),
                  file=sys.stderr)
            return 1
        rows = [(k, image[k]) for k in self._FIELDS]
        rows += [('properties', ', '.join(
            '%s=%s' % kv for kv in sorted(image['properties'].items())))]
        _print_table(('Field', 'Value'), rows)
        return 0

    def list(self):
        images = self._api().get_all(nl_context.get_admin_context(),
                                     sort_key='name', sort_dir='asc')
        _print_table(('ID', 'Name', 'Disk Format', 'Container Format',
                      'Size', 'Status'),
                     [(i['id'], i['name'], i['disk_format'],
                       i['container_format'], i['size'], i['status'])
                      for i in images])
        return 0

    def delete(self, image_id):
        self._api().delete(nl_context.get_admin_context(), image_id)
        return 0


setattr(ImageCommands, 'import', ImageCommands.import_)


CATEGORIES = {'db': DbCommands, 'service': ServiceCommands}
CATEGORIES['image'] = ImageCommands


def _add_parsers(subparsers):
    db = subparsers.add_parser('db').add_subparsers(dest='action')
    db.required = True
    sync = db.add_parser('sync', help='Upgrade the schema to the newest.')
    sync.add_argument('version', nargs='?')
    db.add_parser('version', help='Print the current schema revision.')

    svc = subparsers.add_parser('service').add_subparsers(dest='action')
    svc.required = True
    lst = svc.add_parser('list', help='List services and their state.')
    lst.add_argument('--host')
    for action in ('enable', 'disable'):
        p = svc.add_parser(action, help='%s a service.' % action.title())
        p.add_argument('host')
        p.add_argument('binary')
        if action == 'disable':
            p.add_argument('--reason')

    img = subparsers.add_parser('image').add_subparsers(dest='action')
    img.required = True
    imp = img.add_parser('import', help='Import a local file as an image.')
    imp.add_argument('--name', dest='image_name', required=True)
    imp.add_argument('--file', required=True)
    imp.add_argument('--disk-format', dest='disk_format', required=True,
                     choices=('aki', 'ari', 'ami', 'raw', 'qcow2'))
    imp.add_argument('--container-format', dest='container_format',
                     help='default: the disk format for aki/ari/ami, '
                          'else bare')
    imp.add_argument('--property', dest='properties', action='append',
                     metavar='KEY=VALUE', help='repeatable')
    imp.add_argument('--min-ram', dest='min_ram', type=int, default=0)
    imp.add_argument('--min-disk', dest='min_disk', type=int, default=0)
    imp.add_argument('--visibility', default='public',
                     choices=('public', 'private', 'shared', 'community'))
    img.add_parser('list', help='List images.')
    dele = img.add_parser('delete', help='Delete an image.')
    dele.add_argument('image_id')

CONF.register_cli_opt(cfg.SubCommandOpt('category', handler=_add_parsers,
                                        title='Command categories'))


def main(argv=None):
    # Output (tables, revisions) goes to stdout; log records to stderr so
    # scripts can parse the output.
    CONF.set_default('use_stderr', True)
    try:
        config.parse_args(sys.argv[1:] if argv is None else argv,
                          init_rpc=False)
    except cfg.Error as exc:
        print('novalite-manage: %s' % exc, file=sys.stderr)
        return 1
    objects.register_all()
    category = CONF.category
    handler = getattr(CATEGORIES[category.name](), category.action)
    # the handler's parameters are read from the parsed sub-command
    # (``category.name`` is the category itself, so no parameter is named so)
    import inspect
    kwargs = {}
    for k in inspect.signature(handler).parameters:
        try:
            kwargs[k] = getattr(category, k)
        except cfg.DuplicateOptError:
            # An argument named like a global option (``host``): oslo.config
            # refuses the attribute, argparse's namespace still holds it.
            kwargs[k] = getattr(CONF._namespace, k)
        except cfg.NoSuchOptError:
            pass
    try:
        return handler(**kwargs) or 0
    except exception.NovaliteException as exc:
        print(exc.format_message(), file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
