"""Request context: who is asking, carried across every RPC hop."""

from oslo_context import context as o_context
from oslo_utils import timeutils


class RequestContext(o_context.RequestContext):
    """Security context and request information.

    Adds ``read_deleted`` and ``timestamp`` to oslo.context's fields. It is
    serialised to a dict by :class:`novalite.rpc.RequestContextSerializer`
    and rebuilt as this class on the receiving side.
    """

    def __init__(self, user_id=None, project_id=None, is_admin=None,
                 read_deleted='no', roles=None, timestamp=None,
                 remote_address=None, **kwargs):
        kwargs.setdefault('user_id', user_id)
        kwargs.setdefault('project_id', project_id)
        super().__init__(is_admin=bool(is_admin), roles=roles or [], **kwargs)
        self.read_deleted = read_deleted
        self.remote_address = remote_address
        if isinstance(timestamp, str):
            timestamp = timeutils.parse_isotime(timestamp)
        self.timestamp = timestamp or timeutils.utcnow()

    def to_dict(self):
        values = super().to_dict()
        values.update(user_id=self.user_id, project_id=self.project_id,
                      read_deleted=self.read_deleted,
                      remote_address=self.remote_address,
                      timestamp=self.timestamp.isoformat())
        return values

    @classmethod
    def from_dict(cls, values):
        values = dict(values)
        return cls(
            user_id=values.get('user_id') or values.get('user'),
            project_id=values.get('project_id') or values.get('project_name')
            or values.get('tenant'),
            is_admin=values.get('is_admin'),
            read_deleted=values.get('read_deleted', 'no'),
            roles=values.get('roles'),
            timestamp=values.get('timestamp'),
            remote_address=values.get('remote_address'),
            request_id=values.get('request_id'),
            global_request_id=values.get('global_request_id'),
            auth_token=values.get('auth_token'),
            user_name=values.get('user_name'),
            project_name=values.get('project_name'),
        )

    def elevated(self, read_deleted=None):
        """Return an admin copy of this context."""
        ctx = self.from_dict(self.to_dict())
        ctx.is_admin = True
        if 'admin' not in ctx.roles:
            ctx.roles.append('admin')
        if read_deleted is not None:
            ctx.read_deleted = read_deleted
        return ctx


def get_admin_context(read_deleted='no'):
    """A context for the services' own work (heartbeats, periodic tasks)."""
    return RequestContext(user_id=None, project_id=None, is_admin=True,
                          read_deleted=read_deleted, overwrite=False)


def get_context():
    """A plain non-admin context with no user, for internal checks."""
    return RequestContext(user_id=None, project_id=None, is_admin=False,
                          overwrite=False)
