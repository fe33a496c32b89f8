"""The image backend contract, and the image record every backend returns.

A backend stores images and their metadata; :class:`novalite.image.api.API`
puts access rules, filtering, sorting and paging on top. A backend knows
nothing of request contexts, so a Glance backend can follow by implementing
these few methods over the Glance v2 REST API.

An image record is a plain dict shaped like the one Nova's Glance wrapper
hands to the rest of Nova, so the API views and the compute code read it
the same way whatever the backend:

``id`` (uuid), ``name``, ``status`` (``queued`` | ``active``),
``disk_format`` (``aki`` ``ari`` ``ami`` ``raw`` ``qcow2`` ...),
``container_format``, ``size`` (bytes), ``checksum`` (md5 hex),
``os_hash_algo`` (``sha512``), ``os_hash_value``, ``min_ram`` (MiB),
``min_disk`` (GiB), ``visibility`` (``public`` | ``private`` | ``shared`` |
``community``), ``is_public``, ``owner`` (project id or None),
``protected``, ``created_at`` / ``updated_at`` (ISO 8601 UTC strings,
``2024-05-01T12:00:00Z``), ``deleted`` (always False), ``deleted_at``
(None) and ``properties`` (dict of strings: ``architecture``,
``hypervisor_type``, ``vm_mode``, ``kernel_id``, ``ramdisk_id``, ``hw_*``
...).
"""

import abc

DISK_FORMATS = ('ami', 'ari', 'aki', 'raw', 'qcow2', 'vhd', 'vhdx', 'vmdk',
                'vdi', 'iso', 'ploop')
CONTAINER_FORMATS = ('ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker',
                     'compressed')
VISIBILITIES = ('public', 'private', 'shared', 'community')

# Keys of the record that are not free-form properties.
CORE_KEYS = ('id', 'name', 'status', 'disk_format', 'container_format',
             'size', 'checksum', 'os_hash_algo', 'os_hash_value', 'min_ram',
             'min_disk', 'visibility', 'is_public', 'owner', 'protected',
             'created_at', 'updated_at', 'deleted', 'deleted_at',
             'properties')


class ImageBackend(metaclass=abc.ABCMeta):
    """Where images and their metadata live."""

    @abc.abstractmethod
    def get(self, image_id):
        """Return the record of ``image_id``.

        :raises: ImageNotFound
        """

    @abc.abstractmethod
    def list(self):
        """Return every image record, in no particular order."""

    @abc.abstractmethod
    def create(self, record):
        """Store a new record (``status`` ``queued``, no data yet).

        :param record: a complete image record with a fresh ``id``.
        :raises: ImageExists when the id is taken.
        """

    @abc.abstractmethod
    def update(self, image_id, values):
        """Merge ``values`` into the record; ``updated_at`` is refreshed.

        :returns: the new record.
        :raises: ImageNotFound
        """

    @abc.abstractmethod
    def upload(self, image_id, data):
        """Store the image's bytes and make the image ``active``.

        Size, md5 ``checksum`` and sha512 ``os_hash_value`` are computed
        while the data is written. The image is not visible as active until
        its data is complete.

        :param data: a path or a binary file object.
        :returns: the new record.
        :raises: ImageNotFound, Conflict when the image already has data.
        """

    @abc.abstractmethod
    def download(self, image_id, dest_path):
        """Write the image's bytes to ``dest_path`` (replaced if present).

        :raises: ImageNotFound, ImageNotActive
        """

    @abc.abstractmethod
    def delete(self, image_id):
        """Remove the image and its data.

        :raises: ImageNotFound
        """
