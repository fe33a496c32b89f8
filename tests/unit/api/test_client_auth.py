"""The novalite-noauth2 keystoneauth plugin (client side)."""

from keystoneauth1 import loading
from keystoneauth1 import session

from novalite.api import client_auth


def test_loaded_by_name_with_admin_token_options():
    loader = loading.get_plugin_loader('novalite-noauth2')
    assert isinstance(loader, client_auth.NoAuth2Loader)
    assert {o.dest for o in loader.get_options()} >= {'endpoint', 'token'}
    plugin = loader.load_from_options(endpoint='http://h/identity/v3',
                                      token='alice:projA')
    assert isinstance(plugin, client_auth.NoAuth2Token)


def test_token_endpoint_and_project_from_the_token():
    plugin = client_auth.NoAuth2Token('http://h/identity/v3', 'alice:projA')
    sess = session.Session(auth=plugin)
    assert plugin.get_token(sess) == 'alice:projA'
    assert plugin.get_endpoint(sess, service_type='compute') == \
        'http://h/identity/v3'
    ref = plugin.get_auth_ref(sess)
    assert (ref.project_id, ref.user_id) == ('projA', 'alice')
    assert ref.role_names == ['member', 'reader']
    assert ref.auth_token == 'alice:projA'
    assert ref.service_catalog.get_endpoints(service_type='network') == {}
    assert plugin.get_project_id(sess) == 'projA'
    assert plugin.get_user_id(sess) == 'alice'


def test_admin_and_project_defaulting_like_noauth2():
    assert client_auth.token_body('admin:admin')['token']['roles'] == [
        {'id': 'admin', 'name': 'admin'}, {'id': 'member', 'name': 'member'},
        {'id': 'reader', 'name': 'reader'}]
    body = client_auth.token_body('bob')['token']
    assert (body['user']['id'], body['project']['id']) == ('bob', 'bob')
    assert body['expires_at'] > body['issued_at']
