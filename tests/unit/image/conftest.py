"""Fixtures for image service unit tests: a temporary images directory
and config overrides that undo themselves."""

import pytest

from novalite import context as nl_context
from novalite.image import api
from novalite.image import file as file_backend


@pytest.fixture
def backend(tmp_path):
    return file_backend.FileBackend(str(tmp_path / 'images'))


@pytest.fixture
def image_api(backend):
    return api.API(backend)


@pytest.fixture
def admin():
    return nl_context.get_admin_context()


def project_context(project_id):
    return nl_context.RequestContext(user_id='u-' + project_id,
                                     project_id=project_id, is_admin=False)
