"""The image service facade: what the API daemon, compute and
``novalite-manage`` call, whatever backend ``[image] backend`` names.

Like Nova's image proxy in front of Glance it reads images directly, never
through the database. It adds what a backend does not know: who may see or
delete an image, input validation, filtering, sorting and paging. Records are
the dicts described in :mod:`novalite.image.backend`.
"""

from oslo_config import cfg
from oslo_utils import strutils
from oslo_utils import timeutils
from oslo_utils import uuidutils

from novalite import exception
from novalite.image import backend as image_backend
from novalite.image import file as file_backend

CONF = cfg.CONF

# Nova's images API filter names -> the record's (Glance's) names.
_FILTER_ALIASES = {'minRam': 'min_ram', 'minDisk': 'min_disk',
                   'server': 'property-instance_uuid',
                   'type': 'property-image_type'}
_EXACT_FILTERS = ('id', 'name', 'disk_format', 'container_format',
                  'visibility', 'owner')
_MIN_FILTERS = {'min_ram': 'min_ram', 'min_disk': 'min_disk',
                'size_min': 'size'}
_SORT_KEYS = ('id', 'name', 'status', 'disk_format', 'container_format',
              'size', 'min_ram', 'min_disk', 'visibility', 'owner',
              'created_at', 'updated_at')
# formats that describe the pieces of an EC2-style (direct kernel boot) image
_AMAZON = ('aki', 'ari', 'ami')


def get_backend():
    """The backend ``[image] backend`` selects."""
    if CONF.image.backend == 'file':
        return file_backend.FileBackend(CONF.image.images_path)
    raise exception.ConfigError(option='[image] backend',
                                reason='unknown backend %s'
                                % CONF.image.backend)


def _int(value, what, minimum=0):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exception.Invalid(reason='%s must be an integer' % what)
    if number < minimum:
        raise exception.Invalid(reason='%s must be >= %d' % (what, minimum))
    return number


class API:
    """Image operations on behalf of a request context."""

    def __init__(self, backend=None):
        self.backend = backend or get_backend()

    # -- access -----------------------------------------------------------

    @staticmethod
    def _visible(context, image):
        if context is None or context.is_admin:
            return True
        if image.get('visibility') in ('public', 'community'):
            return True
        return image.get('owner') in (None, context.project_id)

    @staticmethod
    def _owned(context, image):
        if context is None or context.is_admin:
            return True
        return (image.get('owner') is not None and
                image.get('owner') == context.project_id)

    def get(self, context, image_id):
        """The record of one image the context may see.

        :raises: ImageNotFound (also for an image it may not see)
        """
        image = self.backend.get(image_id)
        if not self._visible(context, image):
            raise exception.ImageNotFound(image_id=image_id)
        return image

    # -- listing ------------------------------------------------------------

    def get_all(self, context, filters=None, limit=None, marker=None,
                sort_key='created_at', sort_dir='desc'):
        """Images the context may see, filtered, sorted and paged.

        :param filters: Nova's images API names (``name``, ``status``,
            ``changes-since``, ``server``, ``type``, ``minRam``,
            ``minDisk``) or Glance's (``min_ram``, ``disk_format``,
            ``visibility``, ``is_public``, ``property-<key>``, ...). Other
            keys match image properties. ``min_ram`` / ``min_disk`` keep
            images whose value is at least the one given.
        :param marker: id of the last image of the previous page.
        :param sort_key: a key or list of keys (``created_at``, ``name``,
            ``size``, ...); the image id breaks ties.
        :param sort_dir: ``asc`` or ``desc``, or a list matching sort_key.
        :raises: Invalid, InvalidSortKey, MarkerNotFound
        """
        images = [i for i in self.backend.list() if self._visible(context, i)]
        tests = self._filter_tests(filters or {})
        images = [i for i in images if all(t(i) for t in tests)]
        images = self._sorted(images, sort_key, sort_dir)
        if marker is not None:
            ids = [i['id'] for i in images]
            if marker not in ids:
                raise exception.MarkerNotFound(marker=marker)
            images = images[ids.index(marker) + 1:]
        if limit is not None:
            images = images[:_int(limit, 'limit')]
        return images

    @staticmethod
    def _filter_tests(filters):
        tests = []
        for key, value in filters.items():
            key = _FILTER_ALIASES.get(key, key)
            if value is None:
                continue
            if key in _EXACT_FILTERS:
                tests.append(lambda i, k=key, v=value: i.get(k) == v)
            elif key == 'status':
                tests.append(lambda i, v=str(value).lower():
                             i.get('status') == v)
            elif key == 'is_public':
                try:
                    public = strutils.bool_from_string(value, strict=True)
                except ValueError:
                    raise exception.Invalid(reason='is_public must be a '
                                                   'boolean')
                tests.append(lambda i, p=public: i.get('is_public') == p)
            elif key in _MIN_FILTERS:
                tests.append(lambda i, f=_MIN_FILTERS[key],
                             n=_int(value, key): (i.get(f) or 0) >= n)
            elif key == 'size_max':
                tests.append(lambda i, n=_int(value, key):
                             (i.get('size') or 0) <= n)
            elif key == 'changes-since':
                try:
                    since = timeutils.normalize_time(
                        timeutils.parse_isotime(value))
                except ValueError:
                    raise exception.Invalid(
                        reason='Invalid changes-since value')
                tests.append(lambda i, s=since: timeutils.normalize_time(
                    timeutils.parse_isotime(i['updated_at'])) >= s)
            else:
                prop = key[len('property-'):] \
                    if key.startswith('property-') else key
                tests.append(lambda i, p=prop, v=str(value):
                             (i.get('properties') or {}).get(p) == v)
        return tests

    @staticmethod
    def _sorted(images, sort_key, sort_dir):
        keys = [sort_key] if isinstance(sort_key, str) else list(sort_key)
        dirs = [sort_dir] if isinstance(sort_dir, str) else list(sort_dir)
        dirs += [dirs[-1] if dirs else 'desc'] * (len(keys) - len(dirs))
        for key in keys:
            if key not in _SORT_KEYS:
                raise exception.InvalidSortKey()
        for direction in dirs:
            if direction not in ('asc', 'desc'):
                raise exception.Invalid(
                    reason='sort direction must be asc or desc')
        images = sorted(images, key=lambda i: i['id'])
        # stable sorts, least significant key first
        for key, direction in reversed(list(zip(keys, dirs))):
            images.sort(key=lambda i, k=key: (
                i.get(k) is not None,
                i.get(k) if i.get(k) is not None else 0),
                        reverse=direction == 'desc')
        return images

    # -- writing ------------------------------------------------------------

    def create(self, context, image_meta, data=None):
        """Register an image; with ``data`` (path or binary file) upload it.

        :param image_meta: ``name``, ``disk_format``, ``container_format``
            (defaults to the disk format for aki/ari/ami, ``bare``
            otherwise), ``min_ram``, ``min_disk``, ``visibility`` (or
            ``is_public``; default ``private``), ``owner`` (default the
            context's project), ``id`` (default a new uuid), ``properties``.
            ``kernel_id`` / ``ramdisk_id`` properties must name existing aki
            / ari images.
        :returns: the record, ``active`` when data was given, else
            ``queued``.
        :raises: Invalid, ImageExists
        """
        record = self._new_record(context, dict(image_meta))
        self.backend.create(record)
        if data is None:
            return record
        try:
            return self.backend.upload(record['id'], data)
        except Exception:
            self.backend.delete(record['id'])
            raise

    def import_image(self, context, path, name, disk_format,
                     container_format=None, properties=None, min_ram=0,
                     min_disk=0, visibility='public'):
        """Create an image from a local file (``novalite-manage image
        import``): public by default, like an operator's base images."""
        with open(path, 'rb') as data:
            return self.create(context, {
                'name': name, 'disk_format': disk_format,
                'container_format': container_format,
                'properties': properties or {}, 'min_ram': min_ram,
                'min_disk': min_disk, 'visibility': visibility}, data)

    def upload(self, context, image_id, data):
        """Give a ``queued`` image its data.

        :raises: ImageNotFound, Forbidden, Conflict
        """
        self._check_owner(context, image_id)
        return self.backend.upload(image_id, data)

    def update(self, context, image_id, values, purge_props=False):
        """Change an image the context owns: ``name``, ``min_ram``,
        ``min_disk``, ``visibility``, ``protected`` and ``properties``
        (merged into the current ones, or replacing them with
        ``purge_props``), as Nova's image metadata API does through Glance.

        :returns: the new record.
        :raises: ImageNotFound, Forbidden, Invalid
        """
        image = self._check_owner(context, image_id)
        values = dict(values)
        changes = {}
        if 'properties' in values:
            props = {} if purge_props else dict(image['properties'])
            props.update({str(k): str(v)
                          for k, v in (values.pop('properties') or
                                       {}).items()})
            clash = set(props) & set(image_backend.CORE_KEYS)
            if clash:
                raise exception.Invalid(reason='reserved property names: %s'
                                        % ', '.join(sorted(clash)))
            self._check_boot_parts(context, props)
            changes['properties'] = props
        if 'name' in values:
            changes['name'] = self._name(values.pop('name'))
        for key in ('min_ram', 'min_disk'):
            if key in values:
                changes[key] = _int(values.pop(key) or 0, key)
        if 'visibility' in values:
            visibility = values.pop('visibility')
            if visibility not in image_backend.VISIBILITIES:
                raise exception.Invalid(
                    reason='visibility must be one of %s'
                    % ', '.join(image_backend.VISIBILITIES))
            changes.update(visibility=visibility,
                           is_public=visibility == 'public')
        if 'protected' in values:
            changes['protected'] = strutils.bool_from_string(
                values.pop('protected'))
        if values:
            raise exception.Invalid(reason='cannot change %s'
                                    % ', '.join(sorted(values)))
        return self.backend.update(image_id, changes)

    def delete(self, context, image_id):
        """Delete an image the context owns (an admin: any image).

        :raises: ImageNotFound, Forbidden
        """
        image = self._check_owner(context, image_id)
        if image.get('protected'):
            raise exception.Forbidden(
                'Image %s is protected and cannot be deleted.' % image_id)
        self.backend.delete(image_id)

    def download(self, context, image_id, dest_path):
        """Write the image's data to ``dest_path``.

        :raises: ImageNotFound, ImageNotActive
        """
        self.get(context, image_id)
        self.backend.download(image_id, dest_path)

    def _check_owner(self, context, image_id):
        image = self.get(context, image_id)
        if not self._owned(context, image):
            raise exception.Forbidden(
                'You are not permitted to modify image %s.' % image_id)
        return image

    # -- validation ---------------------------------------------------------

    def _new_record(self, context, meta):
        image_id = meta.pop('id', None) or uuidutils.generate_uuid()
        if not uuidutils.is_uuid_like(image_id):
            raise exception.Invalid(reason='image id must be a uuid')
        disk_format = meta.pop('disk_format', None)
        if disk_format not in image_backend.DISK_FORMATS:
            raise exception.Invalid(reason='disk_format must be one of %s'
                                    % ', '.join(image_backend.DISK_FORMATS))
        container_format = meta.pop('container_format', None) or (
            disk_format if disk_format in _AMAZON else 'bare')
        if container_format not in image_backend.CONTAINER_FORMATS:
            raise exception.Invalid(
                reason='container_format must be one of %s'
                % ', '.join(image_backend.CONTAINER_FORMATS))
        if (disk_format in _AMAZON or container_format in _AMAZON) and \
                disk_format != container_format:
            raise exception.Invalid(
                reason="for 'aki', 'ari' and 'ami' images the container "
                       "and disk formats must match")
        visibility = meta.pop('visibility', None)
        is_public = meta.pop('is_public', None)
        if visibility is None:
            visibility = 'public' if is_public and strutils.bool_from_string(
                is_public) else 'private'
        if visibility not in image_backend.VISIBILITIES:
            raise exception.Invalid(reason='visibility must be one of %s'
                                    % ', '.join(image_backend.VISIBILITIES))
        name = self._name(meta.pop('name', None))
        properties = {str(k): str(v)
                      for k, v in (meta.pop('properties', None) or
                                   {}).items()}
        clash = set(properties) & set(image_backend.CORE_KEYS)
        if clash:
            raise exception.Invalid(reason='reserved property names: %s'
                                    % ', '.join(sorted(clash)))
        self._check_boot_parts(context, properties)
        owner = meta.pop('owner', None) or (
            context.project_id if context is not None else None)
        now = file_backend.utcnow_str()
        record = {
            'id': image_id, 'name': name, 'status': 'queued',
            'disk_format': disk_format, 'container_format': container_format,
            'size': None, 'checksum': None, 'os_hash_algo': None,
            'os_hash_value': None,
            'min_ram': _int(meta.pop('min_ram', 0) or 0, 'min_ram'),
            'min_disk': _int(meta.pop('min_disk', 0) or 0, 'min_disk'),
            'visibility': visibility, 'is_public': visibility == 'public',
            'owner': owner,
            'protected': strutils.bool_from_string(
                meta.pop('protected', False)),
            'created_at': now, 'updated_at': now, 'deleted': False,
            'deleted_at': None, 'properties': properties,
        }
        if meta:
            raise exception.Invalid(reason='unknown image attributes: %s'
                                    % ', '.join(sorted(meta)))
        return record

    @staticmethod
    def _name(name):
        if name is not None and (not isinstance(name, str) or
                                 len(name) > 255):
            raise exception.Invalid(reason='name must be a string of at '
                                           'most 255 characters')
        return name

    def _check_boot_parts(self, context, properties):
        for key, fmt in (('kernel_id', 'aki'), ('ramdisk_id', 'ari')):
            part_id = properties.get(key)
            if not part_id:
                continue
            try:
                part = self.get(context, part_id)
            except exception.ImageNotFound:
                raise exception.Invalid(reason='%s %s: no such image'
                                        % (key, part_id))
            if part['disk_format'] != fmt:
                raise exception.Invalid(reason='%s %s is not an %s image'
                                        % (key, part_id, fmt))
