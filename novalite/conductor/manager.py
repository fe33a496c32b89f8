"""Server side of the conductor RPC API.

``ConductorManager`` (default namespace) proxies versioned-object methods to
the database. Build orchestration lives in ``ComputeTaskManager`` (namespace
``compute_task``) and the flow modules beside it.
"""

import oslo_messaging as messaging
from oslo_log import log as logging
from oslo_service import periodic_task

from novalite.conductor import tasks
from novalite import conf
from novalite import exception
from novalite import manager
from novalite.objects import base as obj_base
from novalite.tuning import versionedobjects as tuning_ovo

CONF = conf.CONF
LOG = logging.getLogger(__name__)


class ConductorManager(manager.Manager):
    """Executes remotable object methods on behalf of the other daemons."""

    target = messaging.Target(version='1.0')

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.compute_task_mgr = tasks.ComputeTaskManager(host=self.host)
        self.additional_endpoints.append(self.compute_task_mgr)
        self._periodic_spacing = dict(self._periodic_spacing)
        self._periodic_spacing['check_lost_builds'] = lost_build_spacing()

    def post_start_hook(self):
        self.compute_task_mgr.post_start_hook()

    def ping(self, context):
        """Answer ``wait_until_ready``."""
        return 'pong'

    @periodic_task.periodic_task(spacing=10)
    def check_lost_builds(self, context):
        """Re-drive builds waiting for a host past ``lost_build_timeout``."""
        self.compute_task_mgr.check_lost_builds(context)

    @messaging.expected_exceptions(exception.NovaliteException)
    def object_class_action_versions(self, context, objname, objmethod,
                                     object_versions, args, kwargs):
        """Call a remotable classmethod and return its result."""
        objclass = obj_base.NovaliteObject.obj_class_from_name(
            objname, object_versions[objname])
        return getattr(objclass, objmethod)(context, *args, **kwargs)

    @messaging.expected_exceptions(exception.NovaliteException)
    def object_action(self, context, objinst, objmethod, args, kwargs):
        """Call a remotable method on ``objinst``.

        :returns: ``(updates, result)`` where ``updates`` holds every field
            the call changed plus ``obj_what_changed``.
        """
        before = tuning_ovo.snapshot(objinst)
        result = getattr(objinst, objmethod)(*args, **kwargs)
        updates = {}
        for name, field in objinst.fields.items():
            if not objinst.obj_attr_is_set(name):
                continue
            value = getattr(objinst, name)
            if name not in before or \
                    tuning_ovo.changed(before[name], value):
                updates[name] = field.to_primitive(objinst, name, value)
        updates['obj_what_changed'] = objinst.obj_what_changed()
        return updates, result

    def object_backport_versions(self, context, objinst, object_versions):
        target = object_versions[objinst.obj_name()]
        return objinst.obj_to_primitive(target_version=target,
                                        version_manifest=object_versions)


def lost_build_spacing():
    """Seconds between lost-build checks: a fifth of the timeout, within
    2..10 s (an hour when the check is off)."""
    timeout = CONF.conductor.lost_build_timeout
    if not timeout:
        return 3600
    return min(10, max(2, timeout // 5))
