"""The console-log entrypoint reads only ``<instances_path>/<uuid>/
console.log``, never through a symbolic link, and at most MAX_BYTES."""

import os

import pytest

from novalite.privsep import console

UUID = '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d'


@pytest.fixture
def instances(tmp_path, flags, privileged):
    root = tmp_path / 'instances'
    (root / UUID).mkdir(parents=True)
    flags(instances_path=str(root))
    return root


def _log(instances, data):
    path = instances / UUID / 'console.log'
    path.write_bytes(data)
    path.chmod(0o600)
    return str(path)


def test_the_end_of_the_log_is_read(instances):
    path = _log(instances, b'x' * 5000 + b'login:')
    assert console.read_console_log(path, 10) == b'xxxxlogin:'
    assert console.read_console_log(path, 10 ** 6) == b'x' * 5000 + b'login:'


def test_a_read_is_capped(instances, monkeypatch):
    monkeypatch.setattr(console, 'MAX_BYTES', 16)
    path = _log(instances, b'y' * 100)
    assert console.read_console_log(path, 10 ** 9) == b'y' * 16


@pytest.mark.parametrize('count', [0, -1, True, '100', 1.5, None])
def test_the_byte_count_is_a_positive_int(instances, count):
    with pytest.raises(ValueError):
        console.read_console_log(_log(instances, b'z'), count)


@pytest.mark.parametrize('relative', [
    '%s/disk' % UUID, '%s/../%s/console.log' % (UUID, UUID),
    'not-a-uuid/console.log', 'console.log', '%s/x/console.log' % UUID,
    '%s/console.log/' % UUID])
def test_paths_outside_an_instance_log_are_refused(instances, relative):
    _log(instances, b'secret')
    with pytest.raises(ValueError):
        console.read_console_log(str(instances) + '/' + relative, 100)


def test_paths_outside_instances_path_are_refused(instances, tmp_path):
    other = tmp_path / 'elsewhere' / UUID
    other.mkdir(parents=True)
    (other / 'console.log').write_bytes(b'secret')
    for path in (str(other / 'console.log'), '/etc/shadow',
                 '%s/console.log' % UUID):
        with pytest.raises(ValueError):
            console.read_console_log(path, 100)


def test_a_planted_symlink_is_not_followed(instances, tmp_path):
    secret = tmp_path / 'secret'
    secret.write_bytes(b'root:$6$...')
    path = instances / UUID / 'console.log'
    path.symlink_to(secret)
    with pytest.raises(OSError):
        console.read_console_log(str(path), 100)
    uuid2 = UUID[:-1] + 'e'
    (tmp_path / 'fake').mkdir()
    (tmp_path / 'fake' / 'console.log').write_bytes(b'secret')
    (instances / uuid2).symlink_to(tmp_path / 'fake')
    with pytest.raises(OSError):
        console.read_console_log(str(instances / uuid2 / 'console.log'), 100)


def test_only_a_regular_file_is_read(instances):
    os.mkfifo(instances / UUID / 'console.log')
    with pytest.raises(ValueError):
        console.read_console_log(str(instances / UUID / 'console.log'), 100)


def test_no_log_yet_is_file_not_found(instances):
    with pytest.raises(FileNotFoundError):
        console.read_console_log(str(instances / UUID / 'console.log'), 100)
