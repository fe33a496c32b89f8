"""The committed ``etc/novalite/novalite.conf.sample`` matches the options.

Regenerate with::

    .venv/bin/oslo-config-generator \
        --config-file etc/novalite/novalite-config-generator.conf
"""

import difflib
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
GENERATOR_CONF = os.path.join(REPO, 'etc', 'novalite',
                              'novalite-config-generator.conf')
SAMPLE = os.path.join(REPO, 'etc', 'novalite', 'novalite.conf.sample')


def generate(tmp_path):
    # In a fresh interpreter: other tests may have changed option defaults
    # in this one (oslo.log's set_defaults, for one), which the generator
    # would print.
    out = tmp_path / 'novalite.conf.sample'
    subprocess.run([sys.executable, '-c',
                    'import sys; from oslo_config import generator; '
                    'sys.exit(generator.main(sys.argv[1:]))',
                    '--config-file', GENERATOR_CONF,
                    '--output-file', str(out)], check=True, timeout=120)
    return out.read_text()


def staleness(committed, generated):
    """A unified diff of the committed sample against a fresh one ('' if equal)."""
    return ''.join(difflib.unified_diff(
        committed.splitlines(True), generated.splitlines(True),
        'committed novalite.conf.sample', 'generated'))


def test_sample_config_is_current(tmp_path):
    with open(SAMPLE) as fh:
        committed = fh.read()
    diff = staleness(committed, generate(tmp_path))
    assert not diff, (
        'etc/novalite/novalite.conf.sample is stale; regenerate it with '
        'oslo-config-generator --config-file '
        'etc/novalite/novalite-config-generator.conf\n' + diff[:6000])


def test_stale_sample_is_detected(tmp_path):
    generated = generate(tmp_path)
    stale = generated.replace('#report_interval = 10',
                              '#report_interval = 11')
    assert stale != generated
    assert '+#report_interval = 10' in staleness(stale, generated)


def test_sample_covers_every_novalite_option(tmp_path):
    from novalite.conf import opts
    generated = generate(tmp_path)
    for group, group_opts in opts.list_opts():
        assert '[%s]' % group in generated
        for opt in group_opts:
            assert '#%s = ' % opt.dest in generated or \
                '#%s =' % opt.dest in generated, (group, opt.dest)
