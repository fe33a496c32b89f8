"""The compute-side base-image cache: fetch once, verify, overlay, clean."""

import io
import os
import shutil
import subprocess
import threading
import time

import pytest

from novalite import exception
from novalite.image import cache as image_cache

needs_qemu_img = pytest.mark.skipif(
    shutil.which('qemu-img') is None,
    reason='qemu-img not installed (tools/install-libvirt.sh installs it)')


class CountingAPI:
    """The real image API, counting downloads."""

    def __init__(self, real):
        self.real = real
        self.downloads = 0

    def get(self, context, image_id):
        return self.real.get(context, image_id)

    def download(self, context, image_id, dest_path):
        self.downloads += 1
        time.sleep(0.05)        # widen the window for concurrent fetches
        return self.real.download(context, image_id, dest_path)


@pytest.fixture
def instances(tmp_path):
    path = tmp_path / 'instances'
    path.mkdir()
    return path


@pytest.fixture
def counting(image_api):
    return CountingAPI(image_api)


@pytest.fixture
def cache(counting, instances):
    return image_cache.ImageCache(counting, str(instances / '_base'))


def _image(image_api, admin, data=b'kernel bytes', fmt='aki'):
    return image_api.create(admin, {'disk_format': fmt}, io.BytesIO(data))


def _qemu_img(*args):
    return subprocess.run(('qemu-img',) + args, check=True,
                          capture_output=True, text=True).stdout


def test_fetch_downloads_once_and_is_readable(cache, counting, image_api,
                                              admin):
    img = _image(image_api, admin)
    path = cache.fetch(admin, img['id'])
    assert path == os.path.join(cache.base_dir, img['id'])
    with open(path, 'rb') as f:
        assert f.read() == b'kernel bytes'
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert os.stat(cache.base_dir).st_mode & 0o777 == 0o755
    assert cache.fetch(admin, img['id'], img) == path
    assert counting.downloads == 1
    assert not os.path.exists(path + '.part')


def test_concurrent_fetches_download_once(cache, counting, image_api, admin):
    img = _image(image_api, admin)
    paths, errors = [], []

    def fetch():
        try:
            paths.append(cache.fetch(admin, img['id']))
        except Exception as exc:     # reported below
            errors.append(exc)
    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(paths)) == 1 and len(paths) == 8
    assert counting.downloads == 1


def test_checksum_mismatch_leaves_nothing(cache, image_api, backend, admin):
    img = _image(image_api, admin)
    backend.update(img['id'], {'checksum': '0' * 32})
    with pytest.raises(exception.ImageChecksumMismatch):
        cache.fetch(admin, img['id'])
    assert os.listdir(cache.base_dir) in ([], ['locks'])


def test_sha512_is_checked_too(cache, image_api, backend, admin):
    img = _image(image_api, admin)
    backend.update(img['id'], {'os_hash_value': 'f' * 128})
    with pytest.raises(exception.ImageChecksumMismatch, match='sha512'):
        cache.fetch(admin, img['id'])


def test_unknown_image_is_not_found(cache, admin):
    with pytest.raises(exception.ImageNotFound):
        cache.fetch(admin, '00000000-0000-0000-0000-000000000000')
    with pytest.raises(exception.ImageNotFound):
        cache.path_for('../etc')


@needs_qemu_img
def test_raw_image_that_is_really_qcow2_is_refused(cache, image_api, admin,
                                                   tmp_path):
    fake_raw = tmp_path / 'sneaky.qcow2'
    _qemu_img('create', '-f', 'qcow2', str(fake_raw), '1M')
    img = _image(image_api, admin, fake_raw.read_bytes(), fmt='raw')
    with pytest.raises(exception.ImageUnacceptable, match='data is qcow2'):
        cache.fetch(admin, img['id'])
    assert not os.path.exists(cache.path_for(img['id']))


@needs_qemu_img
def test_qcow2_image_with_backing_file_is_refused(cache, image_api, admin,
                                                  tmp_path):
    base = tmp_path / 'base.raw'
    base.write_bytes(b'\0' * 65536)
    top = tmp_path / 'top.qcow2'
    _qemu_img('create', '-f', 'qcow2', '-F', 'raw', '-b', str(base),
              str(top))
    img = _image(image_api, admin, top.read_bytes(), fmt='qcow2')
    with pytest.raises(exception.ImageUnacceptable, match='backing file'):
        cache.fetch(admin, img['id'])


@needs_qemu_img
def test_overlay_on_raw_base_sized_to_the_flavor(tmp_path):
    base = tmp_path / 'base'
    base.write_bytes(b'\xab' * 1048576)
    disk = tmp_path / 'disk'
    image_cache.create_overlay(str(base), str(disk), size_gb=1,
                               base_format='ami')
    info = image_cache.qemu_img_info(str(disk))
    assert info['format'] == 'qcow2'
    assert info['virtual-size'] == 1024 ** 3
    assert info['backing-filename'] == str(base)
    assert info['backing-filename-format'] == 'raw'
    assert image_cache.qcow2_backing_file(str(disk)) == str(base)
    # the base is never written, and the overlay reads through to it
    out = tmp_path / 'flat'
    _qemu_img('convert', '-O', 'raw', str(disk), str(out))
    with open(out, 'rb') as f:
        assert f.read(1048576) == b'\xab' * 1048576


@needs_qemu_img
def test_overlay_size_zero_keeps_base_size_and_qcow2_bases(tmp_path):
    base = tmp_path / 'base.qcow2'
    _qemu_img('create', '-f', 'qcow2', str(base), '64M')
    disk = tmp_path / 'disk'
    image_cache.create_overlay(str(base), str(disk), 0, 'qcow2')
    info = image_cache.qemu_img_info(str(disk))
    assert info['virtual-size'] == 64 * 1024 ** 2
    assert info['backing-filename-format'] == 'qcow2'


@needs_qemu_img
def test_overlay_smaller_than_image_is_refused(tmp_path):
    base = tmp_path / 'big'
    with open(base, 'wb') as f:
        f.truncate(2 * 1024 ** 3)              # sparse 2 GiB
    with pytest.raises(exception.FlavorDiskTooSmall):
        image_cache.create_overlay(str(base), str(tmp_path / 'd'), 1)
    assert not os.path.exists(tmp_path / 'd')


def test_qcow2_backing_file_of_other_files_is_none(tmp_path):
    plain = tmp_path / 'plain'
    plain.write_bytes(b'not an image at all')
    assert image_cache.qcow2_backing_file(str(plain)) is None
    assert image_cache.qcow2_backing_file(str(tmp_path / 'missing')) is None


def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


@needs_qemu_img
def test_cleanup_removes_only_old_unused_bases(cache, image_api, admin,
                                               instances, flags):
    old_unused = cache.fetch(admin, _image(image_api, admin, b'1')['id'])
    young_unused = cache.fetch(admin, _image(image_api, admin, b'2')['id'])
    old_in_use = cache.fetch(admin, _image(image_api, admin, b'3')['id'])
    old_backing = cache.fetch(admin, _image(image_api, admin, b'4' * 512,
                                            fmt='raw')['id'])
    inst = instances / 'a6b1c6a4-1111-4bd9-9a49-2c2b9d3b0d55'
    inst.mkdir()
    image_cache.create_overlay(old_backing, str(inst / 'disk'))
    part = os.path.join(cache.base_dir,
                        '7c4b3a9e-2222-4d1e-8f33-0a1b2c3d4e5f.part')
    open(part, 'w').close()
    foreign = os.path.join(cache.base_dir, 'README')
    open(foreign, 'w').close()
    for path in (old_unused, old_in_use, old_backing, part, foreign):
        _age(path, 7200)
    _age(young_unused, 60)

    flags(group='image', remove_unused_original_minimum_age_seconds=3600)
    removed = cache.cleanup(in_use_ids=[os.path.basename(old_in_use), None])
    assert removed == [os.path.basename(old_unused)]
    assert not os.path.exists(old_unused) and not os.path.exists(part)
    for kept in (young_unused, old_in_use, old_backing, foreign):
        assert os.path.exists(kept)
    # in-use bases count as used now: their age starts again
    assert time.time() - os.stat(old_in_use).st_mtime < 60
    assert time.time() - os.stat(old_backing).st_mtime < 60
    # once nothing uses them and they are old enough, they go
    shutil.rmtree(inst)
    removed = cache.cleanup(min_age=0)
    assert sorted(removed) == sorted(
        os.path.basename(p) for p in (young_unused, old_in_use, old_backing))


def test_cleanup_without_a_cache_dir(cache):
    assert cache.cleanup(min_age=0) == []
