"""InstanceAction / InstanceActionEvent: the ``os-instance-actions`` record.

The api starts an action per user request (``create``, ``stop``...), keyed
by the context's request id; the daemons that do the work record events
under it (``compute_stop_instance``...), with result ``Success`` or
``Error`` plus the traceback. Both daemons and the api reach these through
the conductor like every other object.
"""

import traceback as tb_mod

from oslo_utils import timeutils
from oslo_versionedobjects import fields

from novalite.objects import base

RESULT_SUCCESS = 'Success'
RESULT_ERROR = 'Error'


def _now():
    return timeutils.utcnow()


@base.NovaliteObjectRegistry.register
class InstanceAction(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'action': fields.StringField(nullable=True),
        'instance_uuid': fields.UUIDField(nullable=True),
        'request_id': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'project_id': fields.StringField(nullable=True),
        'start_time': fields.DateTimeField(nullable=True),
        'finish_time': fields.DateTimeField(nullable=True),
        'message': fields.StringField(nullable=True),
    }

    @base.remotable_classmethod
    def action_start(cls, context, instance_uuid, action, want_result=True):
        """Record that ``context``'s request started ``action``."""
        row = base.db('instance_actions').action_start(context, {
            'action': action, 'instance_uuid': instance_uuid,
            'request_id': context.request_id, 'user_id': context.user_id,
            'project_id': context.project_id,
            'start_time': context.timestamp})
        if want_result:
            return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def action_finish(cls, context, instance_uuid, want_result=True):
        """Stamp ``finish_time`` on the request's action.

        :raises: InstanceActionNotFound
        """
        row = base.db('instance_actions').action_finish(
            context, instance_uuid, context.request_id,
            {'finish_time': _now()})
        if want_result:
            return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def get_by_request_id(cls, context, instance_uuid, request_id):
        """The action of ``request_id`` on the instance, or None."""
        row = base.db('instance_actions').action_get_by_request_id(
            context, instance_uuid, request_id)
        return cls._from_db_object(context, cls(), row) if row else None


@base.NovaliteObjectRegistry.register
class InstanceActionList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('InstanceAction'),
    }

    @base.remotable_classmethod
    def get_by_instance_uuid(cls, context, instance_uuid, limit=None,
                             marker=None):
        """Actions of the instance, newest first.

        :param marker: request id to continue after. :raises: MarkerNotFound
        """
        rows = base.db('instance_actions').actions_get(
            context, instance_uuid, limit=limit, marker=marker)
        return base.obj_make_list(context, cls(context), InstanceAction,
                                  rows)


@base.NovaliteObjectRegistry.register
class InstanceActionEvent(base.NovalitePersistentObject,
                          base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'event': fields.StringField(nullable=True),
        'action_id': fields.IntegerField(nullable=True),
        'start_time': fields.DateTimeField(nullable=True),
        'finish_time': fields.DateTimeField(nullable=True),
        'result': fields.StringField(nullable=True),
        'traceback': fields.StringField(nullable=True),
        'host': fields.StringField(nullable=True),
        'details': fields.StringField(nullable=True),
    }

    @base.remotable_classmethod
    def event_start(cls, context, instance_uuid, event_name,
                    want_result=True, host=None):
        """Record the start of ``event_name`` under the request's action.

        :raises: InstanceActionNotFound
        """
        row = base.db('instance_actions').action_event_start(
            context, instance_uuid, context.request_id,
            {'event': event_name, 'start_time': _now(), 'host': host},
            refresh=want_result)
        if want_result:
            return cls._from_db_object(context, cls(), row)

    @classmethod
    def event_finish_with_failure(cls, context, instance_uuid, event_name,
                                  exc_val=None, exc_tb=None,
                                  want_result=True):
        """Finish the event; ``Error`` with details when ``exc_val`` is set.

        The exception and traceback are turned into text here, on the
        caller's side, before the record travels to the conductor.

        :param exc_val: the exception (or its text) that failed the event.
        :param exc_tb: a traceback object or its text.
        :raises: InstanceActionNotFound, InstanceActionEventNotFound
        """
        details = traceback = None
        result = RESULT_SUCCESS
        if exc_val is not None:
            result = RESULT_ERROR
            details = _details(exc_val)
            if exc_tb is not None and not isinstance(exc_tb, str):
                exc_tb = ''.join(tb_mod.format_tb(exc_tb))
            traceback = exc_tb
        return cls._event_finish(context, instance_uuid, event_name, result,
                                 details, traceback, want_result)

    @base.remotable_classmethod
    def _event_finish(cls, context, instance_uuid, event_name, result,
                      details, traceback, want_result):
        values = {'finish_time': _now(), 'result': result}
        if details is not None:
            values['details'] = details
            values['traceback'] = traceback
        row = base.db('instance_actions').action_event_finish(
            context, instance_uuid, context.request_id, event_name, values,
            refresh=want_result)
        if want_result:
            return cls._from_db_object(context, cls(), row)

    @classmethod
    def event_finish(cls, context, instance_uuid, event_name,
                     want_result=True):
        """Finish the event with result ``Success``."""
        return cls.event_finish_with_failure(context, instance_uuid,
                                             event_name,
                                             want_result=want_result)


def _details(exc_val):
    if isinstance(exc_val, str):
        return exc_val
    fmt = getattr(exc_val, 'format_message', None)
    text = fmt() if fmt else str(exc_val)
    return text or type(exc_val).__name__


@base.NovaliteObjectRegistry.register
class InstanceActionEventList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('InstanceActionEvent'),
    }

    @base.remotable_classmethod
    def get_by_action(cls, context, action_id):
        """Events of the action, newest first."""
        rows = base.db('instance_actions').action_events_get(context,
                                                             action_id)
        return base.obj_make_list(context, cls(context), InstanceActionEvent,
                                  rows)
