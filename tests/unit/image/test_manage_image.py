"""``novalite-manage image import/list/delete`` as an operator runs it: a
subprocess with its own config file (no database needed)."""

import os
import re
import subprocess
import sys

import pytest

UUID_RE = r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


@pytest.fixture
def manage(tmp_path):
    conf = tmp_path / 'novalite.conf'
    conf.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)

    def run(*args):
        return subprocess.run(
            [sys.executable, '-m', 'novalite.cmd.manage', '--config-file',
             str(conf)] + list(args), capture_output=True, text=True,
            timeout=60)
    return run


def _field(output, name):
    match = re.search(r'^\| %s +\| (.*?) *\|$' % name, output, re.M)
    return match.group(1) if match else None


def test_import_list_delete(manage, tmp_path):
    kernel = tmp_path / 'vmlinuz'
    kernel.write_bytes(b'k' * 1000)
    disk = tmp_path / 'disk.raw'
    disk.write_bytes(b'\0' * 4096)

    out = manage('image', 'import', '--name', 'tiny-kernel', '--file',
                 str(kernel), '--disk-format', 'aki')
    assert out.returncode == 0, out.stderr
    kernel_id = _field(out.stdout, 'id')
    assert re.fullmatch(UUID_RE, kernel_id)
    assert _field(out.stdout, 'container_format') == 'aki'
    assert _field(out.stdout, 'size') == '1000'
    assert _field(out.stdout, 'visibility') == 'public'

    out = manage('image', 'import', '--name', 'tiny', '--file', str(disk),
                 '--disk-format', 'ami', '--property',
                 'kernel_id=%s' % kernel_id, '--property', 'os=linux',
                 '--min-ram', '72', '--min-disk', '1')
    assert out.returncode == 0, out.stderr
    ami_id = _field(out.stdout, 'id')
    assert _field(out.stdout, 'min_ram') == '72'
    assert _field(out.stdout, 'properties') == (
        'kernel_id=%s, os=linux' % kernel_id)
    images = tmp_path / 'images'
    assert sorted(os.listdir(images)) == sorted(
        ['.locks'] + ['%s.%s' % (i, ext) for i in (kernel_id, ami_id)
                      for ext in ('json', 'data')])

    out = manage('image', 'list')
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines()
            if re.match(r'\| %s' % UUID_RE, line)]
    assert [r.split('|')[2].strip() for r in rows] == ['tiny', 'tiny-kernel']

    assert manage('image', 'delete', ami_id).returncode == 0
    out = manage('image', 'list')
    assert ami_id not in out.stdout and kernel_id in out.stdout


def test_bad_input_is_refused_without_a_traceback(manage, tmp_path):
    data = tmp_path / 'f'
    data.write_bytes(b'x')
    out = manage('image', 'import', '--name', 'n', '--file', str(data),
                 '--disk-format', 'raw', '--property', 'novalue')
    assert out.returncode == 2 and 'key=value' in out.stderr
    out = manage('image', 'import', '--name', 'n', '--file', str(data),
                 '--disk-format', 'vhd')
    assert out.returncode != 0 and 'invalid choice' in out.stderr
    out = manage('image', 'import', '--name', 'n', '--file', str(data),
                 '--disk-format', 'ami', '--property',
                 'kernel_id=00000000-0000-0000-0000-000000000000')
    assert out.returncode == 1 and 'no such image' in out.stderr
    out = manage('image', 'import', '--name', 'n', '--file',
                 str(tmp_path / 'missing'), '--disk-format', 'raw')
    assert out.returncode == 1 and 'Cannot read' in out.stderr
    assert 'Traceback' not in out.stderr
    out = manage('image', 'delete', '00000000-0000-0000-0000-000000000000')
    assert out.returncode == 1 and 'could not be found' in out.stderr
    assert 'Traceback' not in out.stderr
    listing = manage('image', 'list')
    assert listing.returncode == 0 and not re.search(UUID_RE, listing.stdout)
