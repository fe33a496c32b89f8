"""SQLAlchemy models of the novalite database.

Soft delete works as in Nova: ``deleted`` is 0 while a row lives and takes
the row's ``id`` when it is deleted, so unique constraints that include
``deleted`` allow a name to be reused after the old row is deleted.
"""

import datetime

from sqlalchemy import (BigInteger, Boolean, DateTime, Float, ForeignKey,
                        Index, Integer, String, Text, UniqueConstraint)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import JSON


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# MEDIUMTEXT on MySQL so large user_data / metadata fit; TEXT elsewhere.
MediumText = Text().with_variant(mysql.MEDIUMTEXT(), 'mysql', 'mariadb')


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, default=_utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=_utcnow)


class SoftDeleteMixin(TimestampMixin):
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    deleted: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Service(SoftDeleteMixin, Base):
    __tablename__ = 'services'
    __table_args__ = (
        UniqueConstraint('host', 'binary', 'deleted',
                         name='uniq_services0host0binary0deleted'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    binary: Mapped[str] = mapped_column(String(255), nullable=False)
    topic: Mapped[str | None] = mapped_column(String(255))
    report_count: Mapped[int] = mapped_column(Integer, default=0,
                                              nullable=False)
    last_seen_up: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=0)


class ComputeNode(SoftDeleteMixin, Base):
    __tablename__ = 'compute_nodes'
    __table_args__ = (
        UniqueConstraint('host', 'hypervisor_hostname', 'deleted',
                         name='uniq_compute_nodes0host0hypervisor_hostname'
                              '0deleted'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    service_id: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    hypervisor_hostname: Mapped[str] = mapped_column(String(255),
                                                     nullable=False)
    hypervisor_type: Mapped[str] = mapped_column(String(255), default='')
    hypervisor_version: Mapped[int] = mapped_column(Integer, default=0)
    host_ip: Mapped[str | None] = mapped_column(String(39))
    vcpus: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb: Mapped[int] = mapped_column(Integer, default=0)
    local_gb: Mapped[int] = mapped_column(Integer, default=0)
    vcpus_used: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb_used: Mapped[int] = mapped_column(Integer, default=0)
    local_gb_used: Mapped[int] = mapped_column(Integer, default=0)
    free_ram_mb: Mapped[int] = mapped_column(Integer, default=0)
    free_disk_gb: Mapped[int] = mapped_column(Integer, default=0)
    running_vms: Mapped[int] = mapped_column(Integer, default=0)
    current_workload: Mapped[int] = mapped_column(Integer, default=0)
    disk_available_least: Mapped[int | None] = mapped_column(Integer)
    cpu_info: Mapped[str] = mapped_column(Text, default='{}')
    supported_instances: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[str | None] = mapped_column(Text)
    cpu_allocation_ratio: Mapped[float | None] = mapped_column(Float)
    ram_allocation_ratio: Mapped[float | None] = mapped_column(Float)
    disk_allocation_ratio: Mapped[float | None] = mapped_column(Float)


class Flavor(TimestampMixin, Base):
    __tablename__ = 'flavors'
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavorid: Mapped[str] = mapped_column(String(255), unique=True,
                                          nullable=False)
    name: Mapped[str] = mapped_column(String(255), unique=True,
                                      nullable=False)
    memory_mb: Mapped[int] = mapped_column(Integer, nullable=False)
    vcpus: Mapped[int] = mapped_column(Integer, nullable=False)
    root_gb: Mapped[int] = mapped_column(Integer, default=0)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    vcpu_weight: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)


class FlavorExtraSpec(TimestampMixin, Base):
    __tablename__ = 'flavor_extra_specs'
    __table_args__ = (
        UniqueConstraint('flavor_id', 'key',
                         name='uniq_flavor_extra_specs0flavor_id0key'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(
        Integer, ForeignKey('flavors.id', ondelete='CASCADE'),
        nullable=False)
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    value: Mapped[str | None] = mapped_column(String(255))


class FlavorProject(TimestampMixin, Base):
    __tablename__ = 'flavor_projects'
    __table_args__ = (
        UniqueConstraint('flavor_id', 'project_id',
                         name='uniq_flavor_projects0flavor_id0project_id'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(
        Integer, ForeignKey('flavors.id', ondelete='CASCADE'),
        nullable=False)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)


class Instance(SoftDeleteMixin, Base):
    __tablename__ = 'instances'
    __table_args__ = (
        Index('instances_project_id_deleted_idx', 'project_id', 'deleted'),
        Index('instances_host_deleted_idx', 'host', 'deleted'),
        Index('instances_updated_at_idx', 'updated_at'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True,
                                      nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    hostname: Mapped[str | None] = mapped_column(String(255))
    image_ref: Mapped[str | None] = mapped_column(String(255))
    kernel_id: Mapped[str | None] = mapped_column(String(255))
    ramdisk_id: Mapped[str | None] = mapped_column(String(255))
    instance_type_id: Mapped[int | None] = mapped_column(Integer)
    flavor: Mapped[str | None] = mapped_column(Text)
    vcpus: Mapped[int | None] = mapped_column(Integer)
    memory_mb: Mapped[int | None] = mapped_column(Integer)
    root_gb: Mapped[int | None] = mapped_column(Integer)
    ephemeral_gb: Mapped[int | None] = mapped_column(Integer)
    vm_state: Mapped[str | None] = mapped_column(String(255))
    task_state: Mapped[str | None] = mapped_column(String(255))
    power_state: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    node: Mapped[str | None] = mapped_column(String(255))
    launched_on: Mapped[str | None] = mapped_column(Text)
    launched_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    terminated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    scheduled_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    key_name: Mapped[str | None] = mapped_column(String(255))
    key_data: Mapped[str | None] = mapped_column(MediumText)
    user_data: Mapped[str | None] = mapped_column(MediumText)
    reservation_id: Mapped[str | None] = mapped_column(String(255))
    launch_index: Mapped[int | None] = mapped_column(Integer)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(16))
    access_ip_v4: Mapped[str | None] = mapped_column(String(39))
    access_ip_v6: Mapped[str | None] = mapped_column(String(39))
    config_drive: Mapped[str | None] = mapped_column(String(255))
    progress: Mapped[int | None] = mapped_column(Integer)
    os_type: Mapped[str | None] = mapped_column(String(255))
    architecture: Mapped[str | None] = mapped_column(String(255))
    vm_mode: Mapped[str | None] = mapped_column(String(255))
    root_device_name: Mapped[str | None] = mapped_column(String(255))
    ephemeral_key_uuid: Mapped[str | None] = mapped_column(String(36))
    cleaned: Mapped[int] = mapped_column(Integer, default=0)
    metadata_: Mapped[dict | None] = mapped_column('metadata', JSON)
    system_metadata: Mapped[dict | None] = mapped_column(JSON)
    network_info: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list | None] = mapped_column(JSON)


class InstanceFault(SoftDeleteMixin, Base):
    __tablename__ = 'instance_faults'
    __table_args__ = (
        Index('instance_faults_instance_uuid_deleted_created_at_idx',
              'instance_uuid', 'deleted', 'created_at'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    code: Mapped[int] = mapped_column(Integer, nullable=False)
    message: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(MediumText)
    host: Mapped[str | None] = mapped_column(String(255))


class InstanceAction(SoftDeleteMixin, Base):
    __tablename__ = 'instance_actions'
    __table_args__ = (
        Index('instance_uuid_idx', 'instance_uuid'),
        Index('request_id_idx', 'request_id'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str | None] = mapped_column(String(255))
    instance_uuid: Mapped[str | None] = mapped_column(String(36))
    request_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    message: Mapped[str | None] = mapped_column(String(255))


class InstanceActionEvent(SoftDeleteMixin, Base):
    __tablename__ = 'instance_actions_events'
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str | None] = mapped_column(String(255))
    action_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey('instance_actions.id'))
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(String(255))
    traceback: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)


class KeyPair(SoftDeleteMixin, Base):
    __tablename__ = 'key_pairs'
    __table_args__ = (
        UniqueConstraint('user_id', 'name', 'deleted',
                         name='uniq_key_pairs0user_id0name0deleted'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    fingerprint: Mapped[str | None] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16), default='ssh',
                                      nullable=False)


class InstanceGroup(SoftDeleteMixin, Base):
    __tablename__ = 'instance_groups'
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True,
                                      nullable=False)
    name: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    policy: Mapped[str | None] = mapped_column(String(255))
    rules: Mapped[dict | None] = mapped_column(JSON)


class InstanceGroupMember(TimestampMixin, Base):
    __tablename__ = 'instance_group_member'
    __table_args__ = (
        UniqueConstraint('group_id', 'instance_uuid',
                         name='uniq_group_member0group_id0instance_uuid'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        Integer, ForeignKey('instance_groups.id', ondelete='CASCADE'),
        nullable=False)
    instance_uuid: Mapped[str] = mapped_column(String(36), nullable=False)


class Quota(TimestampMixin, Base):
    __tablename__ = 'quotas'
    __table_args__ = (
        UniqueConstraint('project_id', 'resource',
                         name='uniq_quotas0project_id0resource'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255), nullable=False)
    resource: Mapped[str] = mapped_column(String(255), nullable=False)
    hard_limit: Mapped[int | None] = mapped_column(Integer)


class ConsoleAuthToken(TimestampMixin, Base):
    __tablename__ = 'console_auth_tokens'
    __table_args__ = (
        Index('console_auth_tokens_instance_uuid_idx', 'instance_uuid'),
        Index('console_auth_tokens_token_hash_instance_uuid_idx',
              'token_hash', 'instance_uuid'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(255), unique=True,
                                            nullable=False)
    console_type: Mapped[str] = mapped_column(String(255), nullable=False)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    port: Mapped[int] = mapped_column(Integer, nullable=False)
    internal_access_path: Mapped[str | None] = mapped_column(String(255))
    instance_uuid: Mapped[str] = mapped_column(String(36), nullable=False)
    access_url_base: Mapped[str | None] = mapped_column(String(255))
    expires: Mapped[int] = mapped_column(BigInteger, nullable=False)


class FixedIP(TimestampMixin, Base):
    __tablename__ = 'fixed_ips'
    __table_args__ = (
        UniqueConstraint('network', 'address',
                         name='uniq_fixed_ips0network0address'),
        Index('fixed_ips_instance_uuid_idx', 'instance_uuid'),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    network: Mapped[str] = mapped_column(String(255), nullable=False)
    address: Mapped[str] = mapped_column(String(39), nullable=False)
    mac: Mapped[str | None] = mapped_column(String(17), unique=True)
    instance_uuid: Mapped[str | None] = mapped_column(String(36))
    host: Mapped[str | None] = mapped_column(String(255))
    allocated: Mapped[bool] = mapped_column(Boolean, default=False)
