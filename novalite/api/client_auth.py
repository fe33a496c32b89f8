"""``novalite-noauth2``: a keystoneauth plugin for clients of a noauth2 cloud.

Client side only; the API daemons never import this module. It is
keystoneauth's token/endpoint plugin (``admin_token``: a fixed token sent
as ``X-Auth-Token`` and a fixed endpoint) that also answers the one question
``admin_token`` cannot: which project and user the token stands for.
``openstack quota show`` (no argument) takes the project from the
authentication reference, and with ``admin_token`` there is none; with
noauth2 the token *is* ``user:project``, so this plugin builds that reference
locally (no request to anyone): user, project, the roles noauth2 grants, and
an empty service catalog, so the CLI leaves out the block-storage and
network services a novalite cloud does not have.

Select it with ``auth_type: novalite-noauth2`` in ``clouds.yaml`` (or
``--os-auth-type novalite-noauth2``); the options are admin_token's
(``endpoint``, ``token``). README, "Using the API", shows the whole file.
"""

import datetime

from keystoneauth1 import access
from keystoneauth1 import loading
from keystoneauth1 import token_endpoint

# The lifetime written into the locally built token (it is never checked
# by the noauth2 API; the CLI only wants a valid timestamp).
_LIFETIME = datetime.timedelta(days=1)


def _isotime(value):
    return value.strftime('%Y-%m-%dT%H:%M:%S.000000Z')


def token_body(token):
    """The Keystone v3 token body noauth2 would mean by ``user:project``."""
    user_id, _sep, project_id = (token or '').partition(':')
    project_id = project_id or user_id
    roles = ['admin', 'member', 'reader'] if user_id == 'admin' \
        else ['member', 'reader']
    domain = {'id': 'default', 'name': 'Default'}
    now = datetime.datetime.now(datetime.timezone.utc)
    return {'token': {
        'methods': ['token'],
        'user': {'id': user_id, 'name': user_id, 'domain': domain},
        'project': {'id': project_id, 'name': project_id, 'domain': domain},
        'roles': [{'id': name, 'name': name} for name in roles],
        'catalog': [],
        'issued_at': _isotime(now),
        'expires_at': _isotime(now + _LIFETIME),
    }}


class NoAuth2Token(token_endpoint.Token):
    """admin_token plus an authentication reference read from the token."""

    def get_auth_ref(self, session):
        """The token's user and project as a v3 AccessInfo (built here).

        :param session: unused: nothing is fetched.
        """
        return access.AccessInfoV3(token_body(self.token),
                                   auth_token=self.token)

    def get_project_id(self, session):
        return self.get_auth_ref(session).project_id

    def get_user_id(self, session):
        return self.get_auth_ref(session).user_id


class NoAuth2Loader(loading.BaseLoader):
    """Loader of :class:`NoAuth2Token` (entry point ``novalite-noauth2``)."""

    @property
    def plugin_class(self):
        return NoAuth2Token

    def get_options(self):
        options = super().get_options()
        options.extend([
            loading.Opt('endpoint',
                        help='The endpoint used for every service that has '
                             'no <service>_endpoint_override'),
            loading.Opt('token', secret=True,
                        help='The noauth2 token, user:project'),
        ])
        return options
