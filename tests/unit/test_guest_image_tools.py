"""The tiny-guest tools: shell syntax, and the banner contract between the
guest's /init, its README and the tests that grep for it."""

import os
import re
import subprocess

import pytest

from tests.e2e import libvirt_helpers

REPO = libvirt_helpers.REPO_ROOT
GUEST = os.path.join(REPO, 'tools', 'guest-image')


@pytest.mark.parametrize('path', [
    'tools/install-libvirt.sh', 'tools/build-guest-image.sh',
    'tools/import-guest-image.sh'])
def test_bash_scripts_parse(path):
    subprocess.run(['bash', '-n', os.path.join(REPO, path)], check=True)


@pytest.mark.parametrize('name', ['init', 'udhcpc.script',
                                  'acpi-power-button'])
def test_guest_scripts_are_posix_sh(name):
    # the guest runs busybox ash; dash is as strict about POSIX syntax
    subprocess.run(['sh', '-n', os.path.join(GUEST, name)], check=True)
    with open(os.path.join(GUEST, name)) as f:
        assert f.readline().startswith('#!/bin/sh')


def _banner_template():
    with open(os.path.join(GUEST, 'init')) as f:
        lines = [line for line in f if line.startswith('say "novalite')]
    assert len(lines) == 1, 'one banner line in /init'
    return lines[0].strip()[len('say "'):-1]


def test_banner_printed_by_init_matches_the_tests_regex():
    rendered = (_banner_template()
                .replace('$(hostname)', 'guest-1')
                .replace('$ip', '10.0.0.5').replace('$router', '10.0.0.1')
                .replace('$metadata', 'ok'))
    assert '$' not in rendered, rendered
    match = libvirt_helpers.BANNER_RE.fullmatch(rendered)
    assert match, rendered
    assert match.groupdict() == {'hostname': 'guest-1', 'ip': '10.0.0.5',
                                 'gw': '10.0.0.1', 'metadata': 'ok'}


def test_banner_format_is_documented_where_it_is_built():
    template = re.sub(r'\$\(hostname\)|\$\w+', '<x>', _banner_template())
    for doc in ('tools/guest-image/README.md', 'tools/build-guest-image.sh'):
        with open(os.path.join(REPO, doc)) as f:
            text = f.read()
        documented = re.search(r'novalite tiny guest: hostname=<[^\n]*', text)
        assert documented, doc
        assert re.sub(r'<[^>]*>', '<x>', documented.group(0)) == template
