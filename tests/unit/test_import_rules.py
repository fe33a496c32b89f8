"""The layering of the package, read from its import statements.

Every ``import`` and ``from ... import`` of every module under
``novalite/`` is collected (at any depth: an import inside a function
still ties the two modules) and each rule below names the modules it
covers, the modules they must not import, and why. A change that brings
an import circle back, or lets domain code speak HTTP, fails here.
"""

import ast
import pathlib

import pytest

PACKAGE_ROOT = pathlib.Path(__file__).resolve().parents[2] / 'novalite'

HANDLERS = 'novalite.api.openstack.compute'
# Modules of the compute API package that are not request handlers: the
# route table imports every handler, views and schemas serve them all.
NOT_HANDLERS = {HANDLERS, HANDLERS + '.routes', HANDLERS + '.views'}


def _module_name(path):
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix('').parts
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def _all_modules():
    return {_module_name(path): path
            for path in sorted(PACKAGE_ROOT.rglob('*.py'))}


MODULES = _all_modules()


def _imported(name, path):
    """Every module ``name`` imports: for ``from a import b`` both ``a`` and,
    when it is a module of the package, ``a.b``."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')
                anchor = anchor[:len(anchor) - node.level + 1]
                base = '.'.join(anchor + ([base] if base else []))
            found.add(base)
            for alias in node.names:
                candidate = base + '.' + alias.name
                if candidate in MODULES or not candidate.startswith(
                        'novalite'):
                    found.add(candidate)
    return found


IMPORTS = {name: _imported(name, path) for name, path in MODULES.items()}


def _within(name, prefixes):
    return any(name == p or name.startswith(p + '.') for p in prefixes)


def _is_handler(name):
    return (name.startswith(HANDLERS + '.') and name not in NOT_HANDLERS
            and not _within(name, [HANDLERS + '.schemas']))


# (rule, modules covered, modules they must not import, modules spared)
RULES = [
    ('the object layer imports no service and no transport',
     lambda m: _within(m, ['novalite.objects']),
     lambda i: _within(i, ['novalite.conductor', 'novalite.compute',
                           'novalite.scheduler', 'novalite.consoleauth',
                           'novalite.api', 'novalite.rpc']),
     set()),
    ('the transport imports no objects',
     lambda m: m == 'novalite.rpc',
     lambda i: _within(i, ['novalite.objects']),
     set()),
    ('domain code never imports webob: HTTP stays in the API',
     lambda m: not _within(m, ['novalite.api']),
     lambda i: _within(i, ['webob']),
     set()),
]


def _broken(covered, forbidden, spared):
    return sorted(
        (module, imported)
        for module, imported_set in IMPORTS.items()
        if covered(module) and module not in spared
        for imported in imported_set
        if forbidden(imported) and imported != module)


@pytest.mark.parametrize('rule,covered,forbidden,spared', RULES,
                         ids=[r[0] for r in RULES])
def test_import_rule(rule, covered, forbidden, spared):
    assert any(covered(m) for m in MODULES), 'rule covers no module'
    broken = _broken(covered, forbidden, spared)
    assert not broken, '%s; broken by: %s' % (rule, broken)


def test_walker_sees_nested_and_relative_imports(tmp_path):
    """The walker reads imports inside functions and relative ones, so a
    rule cannot be dodged by moving an import into a function."""
    pkg = tmp_path / 'novalite' / 'objects'
    pkg.mkdir(parents=True)
    source = pkg / 'thing.py'
    source.write_text(
        'def f():\n'
        '    from novalite.conductor import rpcapi\n'
        'from . import base\n')
    found = _imported('novalite.objects.thing', source)
    assert 'novalite.conductor' in found
    assert 'novalite.objects' in found


def test_handlers_are_found():
    handlers = sorted(m for m in MODULES if _is_handler(m))
    assert HANDLERS + '.servers' in handlers
    assert HANDLERS + '.routes' not in handlers
    assert not any('.schemas' in m for m in handlers)
