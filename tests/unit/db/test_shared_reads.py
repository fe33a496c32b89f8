"""DB layer: readers inside shared_reads() share one session."""

import threading

import sqlalchemy as sa

from novalite.db import api as db_api
from novalite.db import instances


def test_readers_in_a_block_share_one_session_closed_at_its_end(db, ctxt):
    with db_api.shared_reads():
        with db_api.reader() as first:
            first.execute(sa.text('SELECT 1'))
        with db_api.reader() as second:
            assert second is first
            # A function of the DB layer reads through the same session.
            assert instances.instance_get_counts(ctxt, 'p1')['project'] == \
                {'instances': 0, 'cores': 0, 'ram': 0}
            assert first.in_transaction()
        with db_api.shared_reads():  # nested: still the same session
            with db_api.reader() as third:
                assert third is first
    assert not first.in_transaction()  # closed with the block
    with db_api.reader() as outside:
        assert outside is not first


def test_a_block_that_reads_nothing_opens_nothing(monkeypatch):
    def no_engine():
        raise AssertionError('engine asked for')
    monkeypatch.setattr(db_api, 'get_engine', no_engine)
    with db_api.shared_reads():
        pass


def test_other_threads_do_not_share_the_block_session(db):
    seen = {}

    def other():
        with db_api.reader() as session:
            seen['other'] = session

    with db_api.shared_reads():
        with db_api.reader() as mine:
            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
    assert seen['other'] is not mine
