"""novalite's exceptions.

Each carries ``msg_fmt`` (formatted with the keyword arguments given) and
``code``, the HTTP status the API answers with. Domain code raises these and
never imports webob; ``novalite.api.openstack.faults`` maps them to Nova's
fault bodies in one place. The families are NotFound (404), Invalid (400),
Conflict (409), Forbidden (403).
"""

import logging

LOG = logging.getLogger(__name__)


class NovaliteException(Exception):
    """Base exception: ``msg_fmt % kwargs`` with an HTTP ``code``."""

    msg_fmt = 'An unknown exception occurred.'
    code = 500
    headers = {}
    safe = False

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        self.kwargs.setdefault('code', self.code)
        if not message:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError, ValueError):
                LOG.exception('Exception %s could not format %r',
                              type(self).__name__, kwargs)
                message = self.msg_fmt
        self.message = message
        super().__init__(message)

    def format_message(self):
        return self.args[0] if self.args else self.message


# --- families -------------------------------------------------------------

class NotFound(NovaliteException):
    msg_fmt = 'Resource could not be found.'
    code = 404


class Invalid(NovaliteException):
    msg_fmt = 'Bad request: %(reason)s'
    code = 400


class Conflict(NovaliteException):
    msg_fmt = 'Conflict: %(reason)s'
    code = 409


class Forbidden(NovaliteException):
    msg_fmt = 'Forbidden'
    code = 403


# --- infrastructure ---------------------------------------------------------

class DBNotAllowed(NovaliteException):
    msg_fmt = ('%(binary)s attempted direct database access, which is not '
               'allowed: only novalite-conductor and novalite-manage talk to '
               'the database.')


class ConfigError(NovaliteException):
    msg_fmt = 'Configuration error: option %(option)s: %(reason)s'


class ServiceTooOld(NovaliteException):
    msg_fmt = 'Service %(binary)s on %(host)s is too old.'


class ServiceUnavailable(NovaliteException):
    """A service the request needs did not answer in time (503).

    ``retry_after``: seconds the client is told to wait before asking again
    (the API sends it as ``Retry-After``).
    """
    msg_fmt = 'The service is temporarily unavailable: %(reason)s'
    code = 503

    def __init__(self, message=None, retry_after=None, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ConductorUnavailable(ServiceUnavailable):
    msg_fmt = ('The compute service is temporarily unavailable: '
               'novalite-conductor did not answer in time. Please try '
               'again later.')


# --- objects and state --------------------------------------------------------

class ObjectActionError(NovaliteException):
    msg_fmt = 'Object action %(action)s failed because: %(reason)s'


class OrphanedObjectError(NovaliteException):
    msg_fmt = 'Cannot call %(method)s on orphaned %(objtype)s object'


class UnexpectedTaskStateError(Conflict):
    msg_fmt = ('Conflict updating instance %(instance_uuid)s. Expected: '
               '%(expected)s. Actual: %(actual)s')


class UnexpectedDeletingTaskStateError(UnexpectedTaskStateError):
    pass


class InstanceInvalidState(Conflict):
    msg_fmt = ('Instance %(instance_uuid)s in %(attr)s %(state)s. Cannot '
               '%(method)s while the instance is in this state.')


class InstanceIsLocked(InstanceInvalidState):
    msg_fmt = 'Instance %(instance_uuid)s is locked'


class InstanceNotRunning(Invalid):
    msg_fmt = 'Instance %(instance_id)s is not running.'


class InstanceNotReady(Invalid):
    msg_fmt = 'Instance %(instance_id)s is not ready'


# --- not found ------------------------------------------------------------------

class ServiceNotFound(NotFound):
    msg_fmt = 'Service %(service_id)s could not be found.'


class HostBinaryNotFound(NotFound):
    msg_fmt = 'Could not find binary %(binary)s on host %(host)s.'


class ComputeHostNotFound(NotFound):
    msg_fmt = 'Compute host %(host)s could not be found.'


class ComputeNodeNotFound(NotFound):
    msg_fmt = 'Compute node %(node)s could not be found.'


class InstanceNotFound(NotFound):
    msg_fmt = 'Instance %(instance_id)s could not be found.'


class FlavorNotFound(NotFound):
    msg_fmt = 'Flavor %(flavor_id)s could not be found.'


class FlavorExtraSpecsNotFound(NotFound):
    msg_fmt = ('Flavor %(flavor_id)s has no extra specs with key '
               '%(extra_specs_key)s.')


class FlavorAccessNotFound(NotFound):
    msg_fmt = ('Flavor access not found for %(flavor_id)s / %(project_id)s '
               'combination.')


class KeypairNotFound(NotFound):
    msg_fmt = 'Keypair %(name)s not found for user %(user_id)s'


class ImageNotFound(NotFound):
    msg_fmt = 'Image %(image_id)s could not be found.'


class InstanceGroupNotFound(NotFound):
    msg_fmt = 'Instance group %(group_uuid)s could not be found.'


class InstanceActionNotFound(NotFound):
    msg_fmt = ('Action for request_id %(request_id)s on instance '
               '%(instance_uuid)s not found')


class ConsoleTokenNotFound(NotFound):
    msg_fmt = 'The console token could not be found or has expired.'


class ConsoleTypeUnavailable(Invalid):
    msg_fmt = 'Unavailable console type %(console_type)s.'


class ConsoleTypeInvalid(Invalid):
    msg_fmt = 'Invalid console type %(console_type)s'


class FixedIpNotFoundForInstance(NotFound):
    msg_fmt = 'Instance %(instance_uuid)s does not have fixed IP.'


class FixedIpNotFoundForAddress(NotFound):
    msg_fmt = 'Fixed IP not found for address %(address)s.'


class MarkerNotFound(NotFound):
    msg_fmt = 'Marker %(marker)s could not be found.'


# --- conflicts ------------------------------------------------------------------

class FlavorExists(Conflict):
    msg_fmt = 'Flavor with name %(name)s already exists.'


class FlavorIdExists(Conflict):
    msg_fmt = 'Flavor with ID %(flavor_id)s already exists.'


class FlavorAccessExists(Conflict):
    msg_fmt = ('Flavor access already exists for flavor %(flavor_id)s and '
               'project %(project_id)s combination.')


class InstanceExists(Conflict):
    msg_fmt = 'Instance %(instance_uuid)s already exists.'


class KeyPairExists(Conflict):
    msg_fmt = "Key pair '%(key_name)s' already exists."


class ServiceBinaryExists(Conflict):
    msg_fmt = 'Service with host %(host)s binary %(binary)s exists.'


class DBDuplicateEntry(Conflict):
    """A write broke a unique constraint (``columns``: its columns);
    the DB functions answer with a named conflict where they have one."""
    msg_fmt = 'A resource with the same %(columns)s already exists.'


class DBValueRefused(Invalid):
    """The database refused a value the API let through (too long or out
    of range for its column, a pattern its regexp engine cannot run)."""
    msg_fmt = 'Invalid input: %(reason)s'


class NoMoreFixedIps(NovaliteException):
    msg_fmt = 'No fixed IP addresses available for network: %(net)s'


# --- invalid input --------------------------------------------------------------

class ValidationError(Invalid):
    msg_fmt = '%(detail)s'


class InvalidInput(Invalid):
    msg_fmt = 'Invalid input received: %(reason)s'


class InvalidSortKey(Invalid):
    msg_fmt = 'Sort key supplied was not valid.'


class InvalidImageRef(Invalid):
    msg_fmt = 'Invalid image href %(image_href)s.'


class InvalidMetadata(Invalid):
    msg_fmt = 'Invalid metadata: %(reason)s'


class InvalidMetadataSize(Invalid):
    msg_fmt = 'Invalid metadata size: %(reason)s'


class FlavorDiskTooSmall(Invalid):
    msg_fmt = 'Flavor\'s disk is too small for requested image.'


class FlavorMemoryTooSmall(Invalid):
    msg_fmt = 'Flavor\'s memory is too small for requested image.'


class ImageNotActive(Invalid):
    msg_fmt = 'Image %(image_id)s is not active.'


class InvalidAvailabilityZone(Invalid):
    msg_fmt = 'The requested availability zone is not available'


class InvalidSharedStorage(Invalid):
    msg_fmt = '%(path)s is not on shared storage: %(reason)s'


# --- scheduling and builds ----------------------------------------------------

class NoValidHost(NovaliteException):
    msg_fmt = 'No valid host was found. %(reason)s'


class MaxRetriesExceeded(NoValidHost):
    msg_fmt = 'Exceeded maximum number of retries. %(reason)s'


class ComputeResourcesUnavailable(NovaliteException):
    msg_fmt = 'Insufficient compute resources: %(reason)s.'


class RescheduledException(NovaliteException):
    msg_fmt = ('Build of instance %(instance_uuid)s was re-scheduled: '
               '%(reason)s')


class BuildAbortException(NovaliteException):
    msg_fmt = 'Build of instance %(instance_uuid)s aborted: %(reason)s'


class InstanceBuildTimeout(NovaliteException):
    msg_fmt = 'Build of instance %(instance_uuid)s timed out.'


class VirtDriverError(NovaliteException):
    msg_fmt = 'Virt driver error: %(reason)s'


class HypervisorUnavailable(NovaliteException):
    msg_fmt = 'Connection to the hypervisor is broken on host: %(host)s'


# --- quota and policy ------------------------------------------------------------

class OverQuota(Forbidden):
    msg_fmt = 'Quota exceeded for resources: %(overs)s'


class TooManyInstances(OverQuota):
    msg_fmt = ('Quota exceeded for %(overs)s: Requested %(req)s, but already '
               'used %(used)s of %(allowed)s %(overs)s')


class KeypairLimitExceeded(OverQuota):
    msg_fmt = 'Quota exceeded, too many key pairs.'


class MetadataLimitExceeded(OverQuota):
    msg_fmt = 'Maximum number of metadata items exceeds %(allowed)d'


class PolicyNotAuthorized(Forbidden):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class AdminRequired(Forbidden):
    msg_fmt = 'User does not have admin privileges'


class NotAuthorized(Forbidden):
    msg_fmt = 'Not authorized.'


class UnexpectedVMStateError(Conflict):
    msg_fmt = ('Unexpected VM state: expecting %(expected)s but the VM state '
               'is actually %(actual)s')


# --- api (added by the REST API) ---------------------------------------------

class ServerGroupLimitExceeded(OverQuota):
    msg_fmt = 'Quota exceeded, too many server groups.'


class InvalidRequest(Invalid):
    msg_fmt = 'The request is invalid.'


# --- instance actions, networking, builds (boot flow) ---------------------------

class InstanceActionEventNotFound(NotFound):
    msg_fmt = 'Event %(event)s not found for action id %(action_id)s'


class FixedIpAlreadyInUse(Conflict):
    msg_fmt = 'Fixed IP address %(address)s is already in use.'


class InstanceFaultRollback(NovaliteException):
    msg_fmt = 'Instance rollback performed due to: %(inner_exception)s'


class InvalidKeypair(Invalid):
    msg_fmt = 'Keypair data is invalid: %(reason)s'


# --- image service ------------------------------------------------------------

class ImageExists(Conflict):
    msg_fmt = 'Image %(image_id)s already exists.'


class ImageUnacceptable(Invalid):
    msg_fmt = 'Image %(image_id)s is unacceptable: %(reason)s'


class ImageChecksumMismatch(NovaliteException):
    msg_fmt = ('Downloaded image %(image_id)s does not match its checksum: '
               'expected %(expected)s, got %(actual)s.')
