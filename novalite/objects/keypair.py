"""KeyPair objects: a user's SSH (or x509) public keys."""

from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base

KEYPAIR_TYPE_SSH = 'ssh'
KEYPAIR_TYPE_X509 = 'x509'


@base.NovaliteObjectRegistry.register
class KeyPair(base.NovalitePersistentObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'name': fields.StringField(nullable=True),
        'user_id': fields.StringField(nullable=True),
        'fingerprint': fields.StringField(nullable=True),
        'public_key': fields.StringField(nullable=True),
        'type': fields.StringField(default=KEYPAIR_TYPE_SSH),
    }

    @base.remotable_classmethod
    def get_by_name(cls, context, user_id, name):
        """:raises: KeypairNotFound"""
        row = base.db('keypairs').key_pair_get(context, user_id, name)
        return cls._from_db_object(context, cls(), row)

    @base.remotable_classmethod
    def destroy_by_name(cls, context, user_id, name):
        """:raises: KeypairNotFound"""
        base.db('keypairs').key_pair_destroy(context, user_id, name)

    @base.remotable
    def create(self):
        """:raises: KeyPairExists"""
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='create',
                                              reason='already created')
        row = base.db('keypairs').key_pair_create(self._context,
                                                  self.obj_get_changes())
        self._from_db_object(self._context, self, row)

    @base.remotable
    def destroy(self):
        base.db('keypairs').key_pair_destroy(self._context, self.user_id,
                                             self.name)


@base.NovaliteObjectRegistry.register
class KeyPairList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('KeyPair'),
    }

    @base.remotable_classmethod
    def get_by_user(cls, context, user_id, limit=None, marker=None):
        """A user's key pairs by name. :raises: MarkerNotFound"""
        rows = base.db('keypairs').key_pair_get_all_by_user(
            context, user_id, limit=limit, marker=marker)
        return base.obj_make_list(context, cls(context), KeyPair, rows)

    @base.remotable_classmethod
    def get_count_by_user(cls, context, user_id):
        return base.db('keypairs').key_pair_count_by_user(context, user_id)
