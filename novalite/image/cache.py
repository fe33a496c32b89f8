"""Compute-side base-image cache under ``<instances_path>/_base``.

Each image is fetched once per host into ``_base/<image id>``: downloaded to
a ``.part`` file, its md5 (and sha512, when the record has it) checked, its
format checked against the record (a "raw" image that qemu-img sees as qcow2
with a backing file could read host files), then renamed into place. A
per-image lock (in-process and across processes, under ``_base/locks``)
makes concurrent builds of one image download it once.

Instances get a qcow2 overlay on top of the base (:func:`create_overlay`),
so the base is shared and never written. :meth:`ImageCache.cleanup` removes
bases no instance uses once they are older than
``[image] remove_unused_original_minimum_age_seconds``; a base in use has
its mtime refreshed on every run, so the age counts from its last use.
"""

import contextlib
import hashlib
import json
import os
import struct
import time

from oslo_concurrency import lockutils
from oslo_concurrency import processutils
from oslo_config import cfg
from oslo_log import log as logging
from oslo_utils import units
from oslo_utils import uuidutils

from novalite import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

_QCOW2_MAGIC = b'QFI\xfb'
# disk formats whose bytes qemu reads as raw
_RAW_FORMATS = ('raw', 'ami', 'aki', 'ari')
_CHUNK = units.Mi


def qemu_format(disk_format):
    """The qemu block format of an image ``disk_format``."""
    return 'raw' if disk_format in _RAW_FORMATS else disk_format


def qemu_img_info(path, fmt=None):
    """``qemu-img info`` of ``path`` as a dict (probing when ``fmt`` is
    None). ``-U``: the file may be open in a running guest."""
    cmd = ['qemu-img', 'info', '-U', '--output=json']
    if fmt:
        cmd += ['-f', fmt]
    out, _ = processutils.execute(*cmd + [path],
                                  env_variables={'LC_ALL': 'C'})
    return json.loads(out)


def create_overlay(base, dest, size_gb=0, base_format='raw'):
    """Create ``dest``, a qcow2 overlay backed by ``base``.

    :param size_gb: virtual size of the overlay in GiB; 0 keeps the base's
        size (a flavor with ``root_gb = 0``).
    :param base_format: qemu format of ``base`` (``raw``, ``qcow2``); image
        disk formats such as ``ami`` are accepted too.
    :raises: FlavorDiskTooSmall when ``size_gb`` is below the base's size.
    """
    base_format = qemu_format(base_format)
    if base_format == 'raw':
        virtual = os.path.getsize(base)
    else:
        virtual = qemu_img_info(base, base_format)['virtual-size']
    size = int(size_gb or 0) * units.Gi
    if size and size < virtual:
        raise exception.FlavorDiskTooSmall()
    processutils.execute('qemu-img', 'create', '-f', 'qcow2',
                         '-F', base_format, '-b', os.path.abspath(base),
                         dest, env_variables={'LC_ALL': 'C'})
    if size > virtual:
        processutils.execute('qemu-img', 'resize', '-f', 'qcow2', dest,
                             str(size), env_variables={'LC_ALL': 'C'})


def qcow2_backing_file(path):
    """The backing file named in a qcow2 header, or None (no qcow2, no
    backing file). Reads the header directly: no process, no image lock."""
    try:
        with open(path, 'rb') as f:
            header = f.read(20)
            if len(header) < 20 or header[:4] != _QCOW2_MAGIC:
                return None
            offset, length = struct.unpack('>QI', header[8:20])
            if not offset or not length or length > 4096:
                return None
            f.seek(offset)
            return f.read(length).decode('utf-8', 'replace')
    except OSError:
        return None


class ImageCache:
    """The base images of this compute host.

    :param image_api: a :class:`novalite.image.api.API` (one is made when
        omitted).
    :param base_dir: default ``<instances_path>/_base``.
    """

    def __init__(self, image_api=None, base_dir=None):
        if image_api is None:
            from novalite.image import api
            image_api = api.API()
        self.image_api = image_api
        self.base_dir = base_dir or os.path.join(CONF.instances_path, '_base')
        self.lock_path = os.path.join(self.base_dir, 'locks')

    def path_for(self, image_id):
        """Where the base of ``image_id`` lives (whether cached or not)."""
        if not uuidutils.is_uuid_like(image_id):
            raise exception.ImageNotFound(image_id=image_id)
        return os.path.join(self.base_dir, str(image_id))

    @contextlib.contextmanager
    def _lock(self, image_id):
        with lockutils.lock('base-%s' % image_id, external=True,
                            lock_path=self.lock_path):
            yield

    def fetch(self, context, image_id, image=None):
        """Return the path of the cached base of ``image_id``, downloading
        and verifying it first when this host has none.

        :param image: the image record, when the caller has it already.
        :raises: ImageNotFound, ImageNotActive, ImageChecksumMismatch,
            ImageUnacceptable
        """
        path = self.path_for(image_id)
        with self._lock(image_id):
            if os.path.exists(path):
                os.utime(path)      # counts as a use for cleanup()
                return path
            if image is None:
                image = self.image_api.get(context, image_id)
            os.makedirs(self.base_dir, mode=0o755, exist_ok=True)
            os.chmod(self.base_dir, 0o755)
            part = path + '.part'
            started = time.monotonic()
            try:
                self.image_api.download(context, image_id, part)
                self._verify_checksum(image, part)
                self._verify_format(image, part)
                os.chmod(part, 0o644)
                os.replace(part, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part)
            LOG.info('Cached image %s (%s bytes) in %.2f s', image_id,
                     image.get('size'), time.monotonic() - started)
            return path

    @staticmethod
    def _verify_checksum(image, path):
        wanted = {}
        if image.get('checksum'):
            wanted['md5'] = image['checksum']
        algo = image.get('os_hash_algo')
        if algo and image.get('os_hash_value') and \
                algo in hashlib.algorithms_guaranteed:
            wanted[algo] = image['os_hash_value']
        if not wanted:
            return
        hashers = {name: hashlib.new(name) for name in wanted}
        with open(path, 'rb') as f:
            for chunk in iter(lambda: f.read(_CHUNK), b''):
                for h in hashers.values():
                    h.update(chunk)
        for name, expected in wanted.items():
            actual = hashers[name].hexdigest()
            if actual != expected:
                raise exception.ImageChecksumMismatch(
                    image_id=image['id'], expected='%s:%s' % (name, expected),
                    actual='%s:%s' % (name, actual))

    @staticmethod
    def _verify_format(image, path):
        """A disk image must be what its record says, with no backing
        file of its own."""
        disk_format = image.get('disk_format')
        if disk_format not in ('raw', 'ami', 'qcow2'):
            return              # kernels, ramdisks, formats we do not boot
        info = qemu_img_info(path)
        probed = info.get('format')
        if probed != qemu_format(disk_format):
            raise exception.ImageUnacceptable(
                image_id=image['id'],
                reason='disk_format is %s but the data is %s'
                % (disk_format, probed))
        if info.get('backing-filename'):
            raise exception.ImageUnacceptable(
                image_id=image['id'], reason='it has a backing file')

    # -- cleanup ------------------------------------------------------------

    def _backing_ids(self):
        """Image ids used as backing files by disks under instances_path."""
        used = set()
        root = os.path.dirname(self.base_dir.rstrip('/'))
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(root):
                if not entry.is_dir() or entry.path == self.base_dir:
                    continue
                with contextlib.suppress(OSError):
                    for disk in os.scandir(entry.path):
                        backing = qcow2_backing_file(disk.path)
                        if backing and os.path.dirname(
                                backing) == self.base_dir:
                            used.add(os.path.basename(backing))
        return used

    def cleanup(self, in_use_ids=(), min_age=None, now=None):
        """Remove unused bases older than ``min_age`` seconds.

        A base is in use when its id is in ``in_use_ids`` (the image,
        kernel and ramdisk ids of this host's instances) or when a qcow2
        disk in an instance directory names it as its backing file. Stale
        ``.part`` files of interrupted downloads go too.

        :param min_age: default ``[image]
            remove_unused_original_minimum_age_seconds``.
        :returns: the ids removed.
        """
        if min_age is None:
            min_age = CONF.image.remove_unused_original_minimum_age_seconds
        now = time.time() if now is None else now
        in_use = {str(i) for i in in_use_ids if i} | self._backing_ids()
        removed = []
        try:
            names = sorted(os.listdir(self.base_dir))
        except FileNotFoundError:
            return removed
        for name in names:
            image_id = name[:-len('.part')] if name.endswith('.part') \
                else name
            if not uuidutils.is_uuid_like(image_id):
                continue        # locks/ and anything not ours
            path = os.path.join(self.base_dir, name)
            with self._lock(image_id):
                try:
                    age = now - os.stat(path).st_mtime
                except FileNotFoundError:
                    continue
                if name == image_id and image_id in in_use:
                    os.utime(path)
                    continue
                if age < min_age:
                    continue
                LOG.info('Removing unused base %s (%d s old)', path, age)
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                if name == image_id:
                    removed.append(image_id)
            if name == image_id and image_id in removed:
                lockutils.remove_external_lock_file(
                    'base-%s' % image_id, lock_path=self.lock_path)
        return removed
