"""ConsoleAuthToken and its DB module: hashed storage, expiry, revocation,
the purge that spares sessions still in use."""

import datetime
import hashlib
import time
import uuid

import pytest
import sqlalchemy as sa

from novalite import context
from novalite import exception
from novalite import objects
from novalite.db import api as db_api
from novalite.db import console_auth_tokens as db_tokens
from novalite.db import models

objects.register_all()

INSTANCE = '9d3b4a80-1c4e-4c56-9a51-5b0e4d1f0a01'


def _token(ctxt, ttl=600, instance=INSTANCE, port=5900):
    token = str(uuid.uuid4())
    obj = objects.ConsoleAuthToken(
        ctxt, token=token, console_type='novnc', host='10.0.0.5', port=port,
        internal_access_path=None, instance_uuid=instance,
        access_url_base='http://proxy:6080/vnc_auto.html')
    obj.authorize(ttl)
    return token, obj


def _rows():
    with db_api.reader() as session:
        return [db_api.to_dict(r) for r in
                session.scalars(sa.select(models.ConsoleAuthToken))]


def test_authorize_stores_only_the_sha256(remote):
    ctxt = context.get_admin_context()
    before = int(time.time())
    token, obj = _token(ctxt)
    assert remote.calls == ['authorize']
    [row] = _rows()
    assert row['token_hash'] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(row)
    assert before + 600 <= row['expires'] <= int(time.time()) + 600
    # The caller's object now carries the stored fields.
    assert obj.id == row['id'] and obj.expires == row['expires']
    assert obj.access_url == ('http://proxy:6080/vnc_auto.html'
                              '?path=%3Ftoken%3D' + token)


def test_validate_returns_connect_info(remote):
    ctxt = context.get_admin_context()
    token, _ = _token(ctxt)
    found = objects.ConsoleAuthToken.validate(ctxt, token)
    assert (found.host, found.port, found.console_type,
            found.instance_uuid) == ('10.0.0.5', 5900, 'novnc', INSTANCE)
    assert not found.obj_attr_is_set('token')
    assert objects.ConsoleAuthToken.validate(ctxt, token, INSTANCE).id == \
        found.id


@pytest.mark.parametrize('probe', ['unknown', 'other-instance'])
def test_validate_refuses_unknown(remote, probe):
    ctxt = context.get_admin_context()
    token, _ = _token(ctxt)
    with pytest.raises(exception.ConsoleTokenNotFound):
        if probe == 'unknown':
            objects.ConsoleAuthToken.validate(ctxt, str(uuid.uuid4()))
        else:
            objects.ConsoleAuthToken.validate(ctxt, token, str(uuid.uuid4()))


def test_expired_token_is_refused(remote):
    ctxt = context.get_admin_context()
    token, _ = _token(ctxt, ttl=0)
    with pytest.raises(exception.ConsoleTokenNotFound):
        objects.ConsoleAuthToken.validate(ctxt, token)
    # ... but a session opened with it in time may still be re-checked.
    assert objects.ConsoleAuthToken.mark_in_use(ctxt, token).expires


def test_authorizing_twice_conflicts(remote):
    ctxt = context.get_admin_context()
    token, obj = _token(ctxt)
    with pytest.raises(exception.ObjectActionError):
        obj.authorize(600)
    again = objects.ConsoleAuthToken(
        ctxt, token=token, console_type='novnc', host='h', port=1,
        instance_uuid=INSTANCE)
    with pytest.raises(exception.Conflict):
        again.authorize(600)
    without = objects.ConsoleAuthToken(ctxt, console_type='novnc', host='h',
                                       port=1, instance_uuid=INSTANCE)
    with pytest.raises(exception.ObjectActionError):
        without.authorize(600)


def test_clean_for_instance_revokes_only_that_instance(remote):
    ctxt = context.get_admin_context()
    t1, _ = _token(ctxt)
    t2, _ = _token(ctxt)
    other = '0e0f3c2a-97a6-4f38-8d0c-3d7a3f1c2b02'
    t3, _ = _token(ctxt, instance=other)
    assert objects.ConsoleAuthToken.clean_console_auths_for_instance(
        ctxt, INSTANCE) == 2
    for token in (t1, t2):
        with pytest.raises(exception.ConsoleTokenNotFound):
            objects.ConsoleAuthToken.validate(ctxt, token)
        with pytest.raises(exception.ConsoleTokenNotFound):
            objects.ConsoleAuthToken.mark_in_use(ctxt, token)
    assert objects.ConsoleAuthToken.validate(ctxt, t3).instance_uuid == other


def test_purge_keeps_live_tokens_and_sessions_in_use(remote):
    ctxt = context.get_admin_context()
    live, _ = _token(ctxt)
    expired, _ = _token(ctxt, ttl=0)
    in_use, _ = _token(ctxt, ttl=0)
    stale_use, _ = _token(ctxt, ttl=0)
    objects.ConsoleAuthToken.mark_in_use(ctxt, in_use)
    objects.ConsoleAuthToken.mark_in_use(ctxt, stale_use)
    with db_api.writer() as session:
        session.execute(
            sa.update(models.ConsoleAuthToken)
            .where(models.ConsoleAuthToken.token_hash ==
                   hashlib.sha256(stale_use.encode()).hexdigest())
            .values(updated_at=db_api.utcnow() -
                    datetime.timedelta(seconds=600)))
    assert objects.ConsoleAuthToken.clean_expired_console_auths(
        ctxt, in_use_grace=90) == 2
    left = {r['token_hash'] for r in _rows()}
    assert left == {hashlib.sha256(t.encode()).hexdigest()
                    for t in (live, in_use)}
    # Without a grace every expired token goes.
    assert objects.ConsoleAuthToken.clean_expired_console_auths(ctxt) == 1
    assert objects.ConsoleAuthToken.validate(ctxt, live)


def test_db_module_never_sees_plain_tokens(remote, monkeypatch):
    seen = []
    real = db_tokens.console_auth_token_create

    def spy(context, values):
        seen.append(dict(values))
        return real(context, values)
    monkeypatch.setattr(db_tokens, 'console_auth_token_create', spy)
    token, _ = _token(context.get_admin_context())
    assert 'token' not in seen[0]
    assert token not in str(seen[0])
