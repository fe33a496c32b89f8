"""Compute API microversions: parsing, comparison and the history novalite claims.

A microversion is only claimed when every change Nova made up to it is
implemented (or answers the way Nova answers for a feature it has removed).

History of what each claimed version adds:

* 2.1  -- the v2.1 base API.
* 2.2  -- key pairs have a ``type`` (``ssh`` / ``x509``); create takes it.
          The keypair create for an existing name answers 409 (unchanged).
* 2.3  -- more ``OS-EXT-SRV-ATTR:*`` attributes (reservation_id,
          launch_index, kernel_id, ramdisk_id, hostname, root_device_name,
          user_data) in server show/detail for admins;
          ``os-extended-volumes:volumes_attached`` items carry
          ``delete_on_termination``.
* 2.4  -- the reserved flag of os-fixed-ips; the nova-network APIs are
          gone (410), so nothing is served.
* 2.5  -- non-admins may filter servers by ``ip6``.
* 2.6  -- ``POST /servers/{id}/remote-consoles``; the console actions
          ``os-get*Console`` are removed (404 from this version on).
* 2.7  -- adding project access to a public flavor is a 409.
* 2.8  -- ``mks`` remote consoles (answered as an unavailable type, as
          Nova does when MKS is disabled).
* 2.9  -- ``locked`` in server show/detail/update.
* 2.10 -- admins may pass ``user_id`` to the key pair APIs.
* 2.11 -- ``forced_down`` in os-services and the ``force-down`` action.
"""

import functools
import re

from novalite import exception

MIN_VERSION = '2.1'
MAX_VERSION = '2.11'
# What the legacy /v2 endpoint behaves as.
LEGACY_VERSION = '2.0'

_VERSION_RE = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')
# Digits of a version number beyond which no version can be supported.
_MAX_DIGITS = 9


def _shortened(text, length=32):
    """``text`` for an error message, cut when a client sent a lot."""
    return text if len(text) <= length else text[:length] + '...'


class InvalidAPIVersionString(exception.Invalid):
    msg_fmt = ('API Version String %(version)s is of invalid format. Must '
               'be of format MajorNum.MinorNum.')


class InvalidGlobalAPIVersion(exception.NovaliteException):
    code = 406
    msg_fmt = ('Version %(req_ver)s is not supported by the API. Minimum is '
               '%(min_ver)s and maximum is %(max_ver)s.')


class APIVersionRequest:
    """A ``major.minor`` version; the null version compares below all."""

    def __init__(self, version_string=None):
        self.major = self.minor = 0
        if version_string is not None:
            match = _VERSION_RE.match(version_string.strip())
            if not match:
                raise InvalidAPIVersionString(
                    version=_shortened(version_string))
            if max(len(match.group(1)), len(match.group(2))) > _MAX_DIGITS:
                # Well formed, but far past any version there will be; not
                # worth an int() of thousands of digits.
                raise InvalidGlobalAPIVersion(
                    req_ver=_shortened(version_string),
                    min_ver=MIN_VERSION, max_ver=MAX_VERSION)
            self.major, self.minor = int(match.group(1)), int(match.group(2))

    def _key(self):
        return (self.major, self.minor)

    def __lt__(self, other):
        return self._key() < _coerce(other)._key()

    def __le__(self, other):
        return self._key() <= _coerce(other)._key()

    def __gt__(self, other):
        return self._key() > _coerce(other)._key()

    def __ge__(self, other):
        return self._key() >= _coerce(other)._key()

    def __eq__(self, other):
        return self._key() == _coerce(other)._key()

    def __hash__(self):
        return hash(self._key())

    def is_null(self):
        return self._key() == (0, 0)

    def matches(self, min_version=None, max_version=None):
        """True when ``min_version <= self <= max_version`` (None: open)."""
        if min_version is not None and self < min_version:
            return False
        if max_version is not None and self > max_version:
            return False
        return True

    def get_string(self):
        return '%d.%d' % (self.major, self.minor)

    __str__ = get_string

    def __repr__(self):
        return 'APIVersionRequest(%s)' % self.get_string()


def _coerce(value):
    return value if isinstance(value, APIVersionRequest) \
        else _parsed(value)


@functools.lru_cache(maxsize=256)
def _parsed(version_string):
    # Views compare against the same few literals once per server listed.
    return APIVersionRequest(version_string)


def min_version():
    return APIVersionRequest(MIN_VERSION)


def max_version():
    return APIVersionRequest(MAX_VERSION)


def from_header(value):
    """The version a header value asks for (``latest`` included).

    :raises: InvalidAPIVersionString, InvalidGlobalAPIVersion
    """
    if value.strip().lower() == 'latest':
        return max_version()
    version = APIVersionRequest(value)
    if not version.matches(min_version(), max_version()):
        raise InvalidGlobalAPIVersion(req_ver=version.get_string(),
                                      min_ver=MIN_VERSION,
                                      max_ver=MAX_VERSION)
    return version
