"""Flavor objects: sizes servers are built with, plus extra specs and access."""

from oslo_versionedobjects import fields

from novalite import exception
from novalite.objects import base

_LAZY = ('extra_specs', 'projects')


@base.NovaliteObjectRegistry.register
class Flavor(base.NovaliteTimestampObject, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'id': fields.IntegerField(),
        'flavorid': fields.StringField(nullable=True),
        'name': fields.StringField(nullable=True),
        'memory_mb': fields.IntegerField(),
        'vcpus': fields.IntegerField(),
        'root_gb': fields.IntegerField(),
        'ephemeral_gb': fields.IntegerField(),
        'swap': fields.IntegerField(),
        'rxtx_factor': fields.FloatField(nullable=True, default=1.0),
        'vcpu_weight': fields.IntegerField(nullable=True),
        'disabled': fields.BooleanField(default=False),
        'is_public': fields.BooleanField(default=True),
        'description': fields.StringField(nullable=True),
        'extra_specs': fields.DictOfStringsField(default={}),
        'projects': fields.ListOfStringsField(default=[]),
    }

    @classmethod
    def _from_db_object(cls, context, obj, db_row):
        base.from_db(obj, context, db_row)
        return obj

    def obj_load_attr(self, attrname):
        if attrname not in _LAZY:
            raise exception.ObjectActionError(
                action='obj_load_attr', reason='cannot load %s' % attrname)
        fresh = self.get_by_id(self._context, self.id)
        setattr(self, attrname, getattr(fresh, attrname))
        self.obj_reset_changes([attrname])

    @base.remotable_classmethod
    def get_by_id(cls, context, flavor_id):
        return cls._from_db_object(context, cls(),
                                   base.db('flavors').flavor_get(
                                       context, flavor_id))

    @base.remotable_classmethod
    def get_by_flavor_id(cls, context, flavorid):
        """Look up by the API's flavor id. :raises: FlavorNotFound"""
        return cls._from_db_object(
            context, cls(),
            base.db('flavors').flavor_get_by_flavor_id(context, flavorid))

    @base.remotable_classmethod
    def get_by_name(cls, context, name):
        return cls._from_db_object(
            context, cls(),
            base.db('flavors').flavor_get_by_name(context, name))

    @base.remotable
    def create(self):
        """:raises: FlavorExists, FlavorIdExists"""
        if self.obj_attr_is_set('id'):
            raise exception.ObjectActionError(action='create',
                                              reason='already created')
        row = base.db('flavors').flavor_create(self._context,
                                               self.obj_get_changes())
        self._from_db_object(self._context, self, row)

    @base.remotable
    def save(self):
        """Save description, extra-spec and access changes."""
        changes = self.obj_get_changes()
        row = base.db('flavors').flavor_update(self._context, self.id,
                                               changes)
        self._from_db_object(self._context, self, row)

    @base.remotable
    def destroy(self):
        base.db('flavors').flavor_destroy(self._context, self.id)

    @base.remotable
    def add_access(self, project_id):
        """:raises: FlavorAccessExists"""
        row = base.db('flavors').flavor_add_access(self._context, self.id,
                                                   project_id)
        self._from_db_object(self._context, self, row)

    @base.remotable
    def remove_access(self, project_id):
        """:raises: FlavorAccessNotFound"""
        row = base.db('flavors').flavor_remove_access(self._context,
                                                      self.id, project_id)
        self._from_db_object(self._context, self, row)


@base.NovaliteObjectRegistry.register
class FlavorList(base.ObjectListBase, base.NovaliteObject):
    VERSION = '1.0'

    fields = {
        'objects': fields.ListOfObjectsField('Flavor'),
    }

    @base.remotable_classmethod
    def get_all(cls, context, is_public=True, min_memory_mb=None,
                min_root_gb=None, sort_key='flavorid', sort_dir='asc',
                limit=None, marker=None):
        """Flavors visible to ``context``.

        :param is_public: True: public ones plus those shared with the
            project; False: private ones only; None: all (admin).
        :raises: MarkerNotFound
        """
        rows = base.db('flavors').flavor_get_all(
            context, is_public=is_public, min_memory_mb=min_memory_mb,
            min_root_gb=min_root_gb, sort_key=sort_key, sort_dir=sort_dir,
            limit=limit, marker=marker)
        return base.obj_make_list(context, cls(context), Flavor, rows)
