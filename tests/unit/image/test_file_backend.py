"""The file backend: one JSON + one data file per image, atomic writes,
hashes computed on upload."""

import hashlib
import io
import json
import os

import pytest

from novalite import exception
from novalite.image import file as file_backend

ID = '3f1c1a52-6a0b-4e2a-9d59-0d3a3f3b1a01'


def _record(image_id=ID, **kw):
    rec = {'id': image_id, 'name': 'img', 'status': 'queued',
           'disk_format': 'raw', 'container_format': 'bare', 'size': None,
           'checksum': None, 'properties': {},
           'created_at': '2024-01-01T00:00:00Z',
           'updated_at': '2024-01-01T00:00:00Z'}
    rec.update(kw)
    return rec


def test_create_get_list_and_files_on_disk(backend):
    backend.create(_record())
    assert backend.get(ID)['name'] == 'img'
    assert [r['id'] for r in backend.list()] == [ID]
    names = sorted(n for n in os.listdir(backend.path) if n[0] != '.')
    assert names == [ID + '.json']
    with open(os.path.join(backend.path, ID + '.json')) as f:
        assert json.load(f)['status'] == 'queued'


def test_list_of_missing_directory_is_empty(tmp_path):
    assert file_backend.FileBackend(str(tmp_path / 'nope')).list() == []


def test_create_twice_conflicts_and_keeps_first(backend):
    backend.create(_record(name='first'))
    with pytest.raises(exception.ImageExists):
        backend.create(_record(name='second'))
    assert backend.get(ID)['name'] == 'first'
    # no temporary files left behind
    assert [n for n in os.listdir(backend.path) if n.endswith('.tmp')] == []


def test_upload_from_path_and_file_object_hashes(backend, tmp_path):
    payload = os.urandom(3 * file_backend.CHUNK + 17)
    src = tmp_path / 'src'
    src.write_bytes(payload)
    backend.create(_record())
    rec = backend.upload(ID, str(src))
    assert rec['status'] == 'active'
    assert rec['size'] == len(payload)
    assert rec['checksum'] == hashlib.md5(payload).hexdigest()
    assert rec['os_hash_algo'] == 'sha512'
    assert rec['os_hash_value'] == hashlib.sha512(payload).hexdigest()
    assert backend.get(ID) == rec          # persisted
    other = '3f1c1a52-6a0b-4e2a-9d59-0d3a3f3b1a02'
    backend.create(_record(other))
    assert backend.upload(other, io.BytesIO(b'abc'))['size'] == 3
    mode = os.stat(os.path.join(backend.path, ID + '.data')).st_mode
    assert mode & 0o044 == 0o044           # readable by libvirt-qemu


def test_upload_twice_is_a_conflict(backend):
    backend.create(_record())
    backend.upload(ID, io.BytesIO(b'a'))
    with pytest.raises(exception.Conflict):
        backend.upload(ID, io.BytesIO(b'b'))


def test_failed_upload_leaves_image_queued_and_no_partial(backend):
    class Broken(io.RawIOBase):
        calls = 0

        def read(self, n=-1):
            self.calls += 1
            if self.calls > 2:
                raise IOError('disk gone')
            return b'x' * 10

    backend.create(_record())
    with pytest.raises(IOError):
        backend.upload(ID, Broken())
    assert backend.get(ID)['status'] == 'queued'
    leftovers = [n for n in os.listdir(backend.path)
                 if n.endswith(('.tmp', '.data'))]
    assert leftovers == []


def test_download_copies_data_and_needs_active(backend, tmp_path):
    backend.create(_record())
    dest = tmp_path / 'out'
    with pytest.raises(exception.ImageNotActive):
        backend.download(ID, str(dest))
    backend.upload(ID, io.BytesIO(b'hello'))
    dest.write_bytes(b'old content, replaced')
    backend.download(ID, str(dest))
    assert dest.read_bytes() == b'hello'


def test_update_merges_and_refreshes_updated_at(backend):
    backend.create(_record())
    rec = backend.update(ID, {'name': 'renamed'})
    assert rec['name'] == 'renamed'
    assert rec['updated_at'] != '2024-01-01T00:00:00Z'
    assert backend.get(ID)['name'] == 'renamed'


def test_delete_removes_both_files(backend):
    backend.create(_record())
    backend.upload(ID, io.BytesIO(b'abc'))
    backend.delete(ID)
    with pytest.raises(exception.ImageNotFound):
        backend.get(ID)
    assert [n for n in os.listdir(backend.path) if n[0] != '.'] == []
    with pytest.raises(exception.ImageNotFound):
        backend.delete(ID)


@pytest.mark.parametrize('bad', ['../../etc/passwd', 'x', '', None])
def test_non_uuid_ids_are_not_found(backend, bad):
    with pytest.raises(exception.ImageNotFound):
        backend.get(bad)


def test_corrupt_metadata_reads_as_not_found(backend):
    os.makedirs(backend.path)
    with open(os.path.join(backend.path, ID + '.json'), 'w') as f:
        f.write('{"id": ')
    with pytest.raises(exception.ImageNotFound):
        backend.get(ID)
    assert backend.list() == []
