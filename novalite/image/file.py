"""The ``file`` image backend: one directory, two files per image.

``<images_path>/<id>.json`` holds the record, ``<id>.data`` the bytes. Every
write goes to a hidden temporary file in the same directory and is renamed
into place, so a reader sees either the old or the new file, never half of
one; an image turns ``active`` only once its data file is complete. Writers
of one image are serialised by an external lock under ``.locks/``, so
``novalite-manage`` and the daemons can share the directory.
"""

import contextlib
import hashlib
import json
import os
import shutil

from oslo_concurrency import lockutils
from oslo_log import log as logging
from oslo_utils import timeutils
from oslo_utils import uuidutils

from novalite import exception
from novalite.image import backend

LOG = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def utcnow_str():
    """Now as Nova shows timestamps: ``2024-05-01T12:00:00Z``."""
    return timeutils.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')


def _tmp_name(directory, final):
    return os.path.join(directory, '.%s.%s.tmp' % (
        os.path.basename(final), uuidutils.generate_uuid(dashed=False)[:12]))


class FileBackend(backend.ImageBackend):
    """Images as files under ``path`` (``[image] images_path``)."""

    def __init__(self, path):
        self.path = path

    # -- paths and locks -------------------------------------------------------

    def _paths(self, image_id):
        # the id becomes a file name: refuse anything that is not a uuid
        if not uuidutils.is_uuid_like(image_id):
            raise exception.ImageNotFound(image_id=image_id)
        base = os.path.join(self.path, str(image_id))
        return base + '.json', base + '.data'

    @contextlib.contextmanager
    def _lock(self, image_id):
        with lockutils.lock('image-%s' % image_id, external=True,
                            lock_path=os.path.join(self.path, '.locks')):
            yield

    def _ensure_dir(self):
        os.makedirs(self.path, mode=0o755, exist_ok=True)

    # -- records ---------------------------------------------------------------

    def _read(self, meta_path, image_id):
        try:
            with open(meta_path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise exception.ImageNotFound(image_id=image_id)
        except ValueError:
            LOG.error('Unreadable image metadata %s', meta_path)
            raise exception.ImageNotFound(image_id=image_id)

    def _write(self, meta_path, record, exclusive=False):
        """Write ``record`` atomically; ``exclusive`` fails if it exists."""
        self._ensure_dir()
        tmp = _tmp_name(self.path, meta_path)
        try:
            with open(tmp, 'w') as f:
                json.dump(record, f, indent=1, sort_keys=True)
                f.write('\n')
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            if exclusive:
                try:
                    os.link(tmp, meta_path)
                except FileExistsError:
                    raise exception.ImageExists(image_id=record['id'])
            else:
                os.replace(tmp, meta_path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def get(self, image_id):
        meta_path, _ = self._paths(image_id)
        return self._read(meta_path, image_id)

    def list(self):
        try:
            names = sorted(os.listdir(self.path))
        except FileNotFoundError:
            return []
        records = []
        for name in names:
            if name.startswith('.') or not name.endswith('.json'):
                continue
            image_id = name[:-len('.json')]
            try:
                records.append(self.get(image_id))
            except exception.ImageNotFound:
                continue        # deleted while we listed
        return records

    def create(self, record):
        meta_path, _ = self._paths(record['id'])
        self._write(meta_path, record, exclusive=True)
        return record

    def update(self, image_id, values):
        meta_path, _ = self._paths(image_id)
        with self._lock(image_id):
            record = self._read(meta_path, image_id)
            record.update(values)
            record['updated_at'] = utcnow_str()
            self._write(meta_path, record)
        return record

    # -- data ------------------------------------------------------------------

    def upload(self, image_id, data):
        meta_path, data_path = self._paths(image_id)
        with self._lock(image_id):
            record = self._read(meta_path, image_id)
            if record['status'] != 'queued':
                raise exception.Conflict(
                    reason='image %s already has data' % image_id)
            tmp = _tmp_name(self.path, data_path)
            md5 = hashlib.md5(usedforsecurity=False)
            sha512 = hashlib.sha512()
            size = 0
            try:
                with contextlib.ExitStack() as stack:
                    src = data
                    if isinstance(data, (str, os.PathLike)):
                        src = stack.enter_context(open(data, 'rb'))
                    dst = stack.enter_context(open(tmp, 'wb'))
                    while True:
                        chunk = src.read(CHUNK)
                        if not chunk:
                            break
                        md5.update(chunk)
                        sha512.update(chunk)
                        size += len(chunk)
                        dst.write(chunk)
                    dst.flush()
                    os.fsync(dst.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, data_path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
            record.update(status='active', size=size,
                          checksum=md5.hexdigest(), os_hash_algo='sha512',
                          os_hash_value=sha512.hexdigest(),
                          updated_at=utcnow_str())
            self._write(meta_path, record)
        return record

    def download(self, image_id, dest_path):
        meta_path, data_path = self._paths(image_id)
        record = self._read(meta_path, image_id)
        if record['status'] != 'active':
            raise exception.ImageNotActive(image_id=image_id)
        dest_dir = os.path.dirname(os.path.abspath(dest_path))
        tmp = _tmp_name(dest_dir, dest_path)
        try:
            shutil.copyfile(data_path, tmp)
            os.replace(tmp, dest_path)
        except FileNotFoundError:
            if not os.path.exists(data_path):
                raise exception.ImageNotFound(image_id=image_id)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)

    def delete(self, image_id):
        meta_path, data_path = self._paths(image_id)
        with self._lock(image_id):
            try:
                os.unlink(meta_path)
            except FileNotFoundError:
                raise exception.ImageNotFound(image_id=image_id)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(data_path)
        lockutils.remove_external_lock_file(
            'image-%s' % image_id, lock_path=os.path.join(self.path, '.locks'))
