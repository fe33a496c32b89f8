"""The read-only Glance v2 API at /image through the real paste pipeline,
over a file image backend in a temporary directory."""

import io

import pytest

from novalite import conf
from novalite import context as nl_context
from novalite.image import api as image_api_mod

GLANCE_KEYS = {'id', 'name', 'status', 'visibility', 'protected', 'checksum',
               'os_hash_algo', 'os_hash_value', 'owner', 'size', 'min_ram',
               'min_disk', 'disk_format', 'container_format', 'created_at',
               'updated_at', 'tags', 'os_hidden', 'virtual_size', 'self',
               'file', 'schema'}


@pytest.fixture
def images(tmp_path):
    conf.CONF.set_override('images_path', str(tmp_path / 'images'),
                           group='image')
    admin = nl_context.get_admin_context()
    facade = image_api_mod.API()

    def make(name, owner=None, visibility='public', **props):
        meta = {'name': name, 'disk_format': 'raw', 'visibility': visibility,
                'properties': props}
        if owner:
            meta['owner'] = owner
        return facade.create(admin, meta, io.BytesIO(b'0123'))
    made = {'cirros': make('cirros', hw_arch='x86_64'),
            'other': make('other'),
            'mine': make('mine', owner='p1', visibility='private'),
            'theirs': make('theirs', owner='p2', visibility='private')}
    yield made
    conf.CONF.clear_override('images_path', group='image')


def test_version_document(api):
    resp = api('GET', '/image/', token=None)
    assert resp.status_int == 300
    versions = resp.json_body_or_none['versions']
    assert versions[0] == {'id': 'v2.7', 'status': 'CURRENT', 'links': [
        {'rel': 'self', 'href': 'http://localhost/image/v2/'}]}
    assert {v['status'] for v in versions[1:]} == {'SUPPORTED'}
    assert api('GET', '/image/versions', token=None).status_int == 200
    assert api('GET', '/image/nope', token=None).status_int == 404


def test_show_has_glance_keys_and_properties(api, images):
    image = images['cirros']
    resp = api('GET', '/image/v2/images/%s' % image['id'])
    assert resp.status_int == 200
    body = resp.json_body_or_none
    assert set(body) == GLANCE_KEYS | {'hw_arch'}
    assert body['hw_arch'] == 'x86_64'
    assert (body['name'], body['status'], body['size']) == ('cirros',
                                                           'active', 4)
    assert body['self'] == '/v2/images/%s' % image['id']
    assert body['schema'] == '/v2/schemas/image'
    assert isinstance(body['protected'], bool)
    assert isinstance(body['tags'], list)


def test_list_filters_by_name_and_visibility(api, images):
    listed = api('GET', '/image/v2/images').json_body_or_none
    assert {i['name'] for i in listed['images']} == {'cirros', 'other',
                                                      'mine'}
    assert listed['schema'] == '/v2/schemas/images'
    assert listed['first'] == '/v2/images' and 'next' not in listed
    named = api('GET', '/image/v2/images?name=cirros').json_body_or_none
    assert [i['id'] for i in named['images']] == [images['cirros']['id']]
    admin = api('GET', '/image/v2/images', token='admin:admin')
    assert len(admin.json_body_or_none['images']) == 4
    public = api('GET', '/image/v2/images?visibility=private',
                 token='u2:p2').json_body_or_none['images']
    assert [i['name'] for i in public] == ['theirs']


def test_list_filters_with_the_in_operator(api, images):
    ids = [images['cirros']['id'], images['other']['id'],
           images['theirs']['id']]
    listed = api('GET', '/image/v2/images?id=in:%s' % ','.join(ids)
                 ).json_body_or_none['images']
    assert sorted(i['name'] for i in listed) == ['cirros', 'other']
    listed = api('GET', '/image/v2/images?name=in:mine,cirros'
                 ).json_body_or_none['images']
    assert sorted(i['name'] for i in listed) == ['cirros', 'mine']


def test_list_pages_with_next_links(api, images):
    seen = []
    url = '/image/v2/images?limit=1&sort=name:asc'
    while url:
        body = api('GET', '/image' + url if url.startswith('/v2')
                   else url).json_body_or_none
        assert len(body['images']) <= 1
        seen.extend(i['name'] for i in body['images'])
        url = body.get('next')
    assert seen == ['cirros', 'mine', 'other']


def test_other_projects_private_image_is_404(api, images):
    resp = api('GET', '/image/v2/images/%s' % images['theirs']['id'])
    assert resp.status_int == 404
    assert api('GET', '/image/v2/images/not-a-uuid').status_int == 404


@pytest.mark.parametrize('query', ['limit=x', 'limit=-1', 'marker=nope',
                                   'sort_key=bogus', 'sort_dir=sideways',
                                   'size_min=x', 'sort=name&sort_key=id',
                                   'os_hidden=maybe'])
def test_bad_queries_are_400(api, images, query):
    assert api('GET', '/image/v2/images?' + query).status_int == 400


def test_read_only_and_authenticated(api, images):
    resp = api('POST', '/image/v2/images', body={'name': 'x'})
    assert resp.status_int == 405
    assert resp.headers['Allow'] == 'GET'
    assert api('DELETE', '/image/v2/images/%s'
               % images['mine']['id']).status_int == 405
    assert api('GET', '/image/v2/images', token=None).status_int == 401
    assert api('GET', '/image/v2/images/%s' % images['mine']['id'],
               token=None).status_int == 401
