"""Load filter and weigher classes named by import path in the config."""

from oslo_utils import importutils

from novalite import exception


def load_classes(paths, base, option):
    """Classes named by ``paths``: each a class or a function returning a
    list of classes, all subclasses of ``base``.

    :raises: ConfigError naming ``option`` for a path that does not import
        or does not give ``base`` subclasses.
    """
    classes = []
    for path in paths:
        try:
            obj = importutils.import_class(path)
        except (ImportError, ValueError, AttributeError) as exc:
            raise exception.ConfigError(option=option,
                                        reason='cannot import %s: %s'
                                        % (path, exc))
        found = obj() if not isinstance(obj, type) else [obj]
        for cls in found:
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise exception.ConfigError(
                    option=option, reason='%s gives %r, not a %s' % (
                        path, cls, base.__name__))
            if cls not in classes:
                classes.append(cls)
    return classes
