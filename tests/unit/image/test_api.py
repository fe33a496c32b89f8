"""The image API facade: validation, visibility, filters, sorting, paging."""

import io

import pytest

from novalite import exception
from novalite.image import api
from novalite.image import file as file_backend
from tests.unit.image.conftest import project_context


def _create(image_api, ctxt, data=b'data', **meta):
    meta.setdefault('disk_format', 'raw')
    return image_api.create(ctxt, meta,
                            io.BytesIO(data) if data is not None else None)


def test_create_fills_a_nova_style_record(image_api, admin):
    img = _create(image_api, admin, name='cirros', min_ram=64,
                  properties={'architecture': 'x86_64', 'hw_foo': 1})
    assert img['status'] == 'active'
    assert img['container_format'] == 'bare'
    assert img['visibility'] == 'private' and img['is_public'] is False
    assert img['min_ram'] == 64 and img['min_disk'] == 0
    assert img['properties'] == {'architecture': 'x86_64', 'hw_foo': '1'}
    assert img['size'] == 4 and len(img['checksum']) == 32
    assert img['created_at'].endswith('Z') and img['deleted'] is False
    assert image_api.get(admin, img['id']) == img


def test_create_without_data_is_queued(image_api, admin):
    img = _create(image_api, admin, data=None)
    assert img['status'] == 'queued' and img['size'] is None
    assert image_api.upload(admin, img['id'],
                            io.BytesIO(b'x'))['status'] == 'active'


@pytest.mark.parametrize('meta', [
    {'disk_format': 'floppy'},
    {'disk_format': 'raw', 'container_format': 'tarball'},
    {'disk_format': 'aki', 'container_format': 'bare'},
    {'disk_format': 'raw', 'container_format': 'ami'},
    {'disk_format': 'raw', 'visibility': 'everyone'},
    {'disk_format': 'raw', 'min_ram': -1},
    {'disk_format': 'raw', 'min_disk': 'lots'},
    {'disk_format': 'raw', 'name': 'x' * 256},
    {'disk_format': 'raw', 'properties': {'size': '1'}},
    {'disk_format': 'raw', 'colour': 'blue'},
    {'disk_format': 'raw', 'id': 'not-a-uuid'},
])
def test_invalid_metadata_is_refused_and_stores_nothing(image_api, admin,
                                                        meta):
    with pytest.raises(exception.Invalid):
        image_api.create(admin, meta, io.BytesIO(b'x'))
    assert image_api.get_all(admin) == []


def test_amazon_formats_default_their_container(image_api, admin):
    for fmt in ('aki', 'ari', 'ami'):
        assert _create(image_api, admin, disk_format=fmt)[
            'container_format'] == fmt


def test_kernel_and_ramdisk_must_exist_with_the_right_format(image_api,
                                                             admin):
    aki = _create(image_api, admin, disk_format='aki')
    ari = _create(image_api, admin, disk_format='ari')
    ami = _create(image_api, admin, disk_format='ami', properties={
        'kernel_id': aki['id'], 'ramdisk_id': ari['id']})
    assert ami['properties']['kernel_id'] == aki['id']
    with pytest.raises(exception.Invalid, match='not an aki'):
        _create(image_api, admin, disk_format='ami',
                properties={'kernel_id': ari['id']})
    with pytest.raises(exception.Invalid, match='no such image'):
        _create(image_api, admin, disk_format='ami', properties={
            'ramdisk_id': '00000000-0000-0000-0000-000000000000'})


def test_private_images_are_visible_to_their_project_only(image_api, admin):
    p1, p2 = project_context('p1'), project_context('p2')
    mine = _create(image_api, p1, name='mine')
    public = _create(image_api, admin, name='pub', visibility='public')
    assert mine['owner'] == 'p1'
    assert {i['name'] for i in image_api.get_all(p1)} == {'mine', 'pub'}
    assert {i['name'] for i in image_api.get_all(p2)} == {'pub'}
    with pytest.raises(exception.ImageNotFound):
        image_api.get(p2, mine['id'])
    with pytest.raises(exception.ImageNotFound):
        image_api.download(p2, mine['id'], '/nonexistent/never-written')
    assert image_api.get(p2, public['id'])['is_public'] is True
    assert len(image_api.get_all(admin)) == 2


def test_delete_needs_ownership_or_admin(image_api, admin):
    p1, p2 = project_context('p1'), project_context('p2')
    img = _create(image_api, p1, visibility='public')
    with pytest.raises(exception.Forbidden):
        image_api.delete(p2, img['id'])
    image_api.delete(p1, img['id'])
    with pytest.raises(exception.ImageNotFound):
        image_api.get(admin, img['id'])
    protected = _create(image_api, admin, protected=True)
    with pytest.raises(exception.Forbidden):
        image_api.delete(admin, protected['id'])


def test_filters_nova_and_glance_names(image_api, admin):
    a = _create(image_api, admin, name='a', min_ram=128, min_disk=1,
                properties={'instance_uuid': 'srv-1',
                            'image_type': 'snapshot', 'os': 'linux'})
    b = _create(image_api, admin, name='b', disk_format='qcow2',
                visibility='public')
    q = _create(image_api, admin, name='q', data=None)

    def names(**filters):
        return sorted(i['name'] for i in image_api.get_all(admin, filters))
    assert names(name='a') == ['a']
    assert names(status='ACTIVE') == ['a', 'b']
    assert names(status='queued') == ['q']
    assert names(minRam='100') == ['a'] and names(min_ram=129) == []
    assert names(minDisk=1) == ['a']
    assert names(server='srv-1') == ['a']
    assert names(type='snapshot') == ['a']
    assert names(**{'property-os': 'linux'}) == ['a']
    assert names(os='linux') == ['a']
    assert names(disk_format='qcow2') == ['b']
    assert names(is_public='true') == ['b']
    assert names(size_min=1) == ['a', 'b']
    assert names(**{'changes-since': '2000-01-01T00:00:00Z'}) == [
        'a', 'b', 'q']
    assert names(**{'changes-since': '2999-01-01T00:00:00Z'}) == []
    assert {a['id'], b['id'], q['id']} == {
        i['id'] for i in image_api.get_all(admin, {'name': None})}
    with pytest.raises(exception.Invalid):
        names(minRam='many')
    with pytest.raises(exception.Invalid):
        names(**{'changes-since': 'yesterday'})
    with pytest.raises(exception.Invalid):
        names(is_public='perhaps')


def test_sort_marker_and_limit_page_through_everything(image_api, admin,
                                                       backend):
    ids = []
    for n, size in (('c', 3), ('a', 1), ('b', 2), ('d', 2)):
        ids.append(_create(image_api, admin, name=n, data=b'x' * size)['id'])
    # distinct created_at values, oldest first
    for i, image_id in enumerate(ids):
        backend.update(image_id, {'created_at': '2024-01-0%dT00:00:00Z'
                                  % (i + 1)})
    default = image_api.get_all(admin)
    assert [i['name'] for i in default] == ['d', 'b', 'a', 'c']   # newest
    by_name = image_api.get_all(admin, sort_key='name', sort_dir='asc')
    assert [i['name'] for i in by_name] == ['a', 'b', 'c', 'd']
    by_size = image_api.get_all(admin, sort_key=['size', 'name'],
                                sort_dir=['desc', 'asc'])
    assert [i['name'] for i in by_size] == ['c', 'b', 'd', 'a']
    pages, marker = [], None
    while True:
        page = image_api.get_all(admin, limit=3, marker=marker,
                                 sort_key='name', sort_dir='asc')
        if not page:
            break
        pages.append([i['name'] for i in page])
        marker = page[-1]['id']
    assert pages == [['a', 'b', 'c'], ['d']]
    with pytest.raises(exception.MarkerNotFound):
        image_api.get_all(admin, marker='00000000-0000-0000-0000-00000000000')
    with pytest.raises(exception.InvalidSortKey):
        image_api.get_all(admin, sort_key='checksum')
    with pytest.raises(exception.Invalid):
        image_api.get_all(admin, sort_dir='sideways')


def test_import_image_from_a_file(image_api, admin, tmp_path):
    path = tmp_path / 'kernel'
    path.write_bytes(b'\x7fELF' + b'k' * 100)
    img = image_api.import_image(admin, str(path), 'kernel', 'aki')
    assert (img['visibility'], img['container_format'], img['size']) == (
        'public', 'aki', 104)
    out = tmp_path / 'copy'
    image_api.download(admin, img['id'], str(out))
    assert out.read_bytes() == path.read_bytes()


def test_backend_from_config(flags, tmp_path):
    flags(group='image', images_path=str(tmp_path / 'imgs'))
    backend = api.API().backend
    assert isinstance(backend, file_backend.FileBackend)
    assert backend.path == str(tmp_path / 'imgs')


def test_update_merges_or_replaces_properties_and_checks_owner(image_api,
                                                               admin):
    p1, p2 = project_context('p1'), project_context('p2')
    img = _create(image_api, p1, name='old', properties={'a': '1', 'b': '2'})
    new = image_api.update(p1, img['id'], {'name': 'new', 'min_ram': '64',
                                           'properties': {'b': 3, 'c': 4}})
    assert (new['name'], new['min_ram']) == ('new', 64)
    assert new['properties'] == {'a': '1', 'b': '3', 'c': '4'}
    new = image_api.update(p1, img['id'], {'properties': {'z': 'z'}},
                           purge_props=True)
    assert new['properties'] == {'z': 'z'}
    new = image_api.update(admin, img['id'], {'visibility': 'public'})
    assert new['is_public'] is True
    assert image_api.get(p1, img['id']) == new
    with pytest.raises(exception.Forbidden):
        image_api.update(p2, img['id'], {'name': 'theirs'})
    for bad in ({'size': 1}, {'visibility': 'x'}, {'min_disk': -2},
                {'properties': {'checksum': 'x'}},
                {'properties': {'kernel_id': img['id']}}):
        with pytest.raises(exception.Invalid):
            image_api.update(p1, img['id'], bad)
    assert image_api.get(p1, img['id']) == new
