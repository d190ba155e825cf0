"""The ``autovec_image_*`` SET GLOBAL variables: checked, global only, persisted in the data
directory, and read back by ``ImageFetchPolicy.from_settings``."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import autovec
from autovec import errors
from autovec.embeddings.image_fetch import ImageFetchError, ImageFetchPolicy, load_image
from autovec.sql.variables import IMAGE_FETCH_DEFAULTS
from autovec.storage.datadir import DataDirectory
from tests.conftest import rows


def policy_of(datadir: Path) -> ImageFetchPolicy:
    return ImageFetchPolicy.from_settings(DataDirectory(datadir).settings())


def test_defaults_are_the_policy_defaults(cur: autovec.Cursor, datadir: Path) -> None:
    assert ImageFetchPolicy.from_settings(IMAGE_FETCH_DEFAULTS) == ImageFetchPolicy()
    assert rows(
        cur,
        "SELECT @@GLOBAL.autovec_image_dirs, @@GLOBAL.autovec_image_allow_private_hosts, "
        "@@GLOBAL.autovec_image_max_bytes, @@GLOBAL.autovec_image_fetch_timeout, "
        "@@GLOBAL.autovec_image_max_redirects",
    ) == [("", 0, 10 * 1024 * 1024, 10.0, 3)]
    assert policy_of(datadir) == ImageFetchPolicy()


def test_set_global_persists_and_configures_the_policy(
    cur: autovec.Cursor, datadir: Path, tmp_path: Path
) -> None:
    cur.execute("SET @@GLOBAL.autovec_image_dirs = '/srv/images:/data/pics'")
    cur.execute("SET @@GLOBAL.autovec_image_allow_private_hosts = ON")
    cur.execute("SET GLOBAL autovec_image_max_bytes = 3145728")
    cur.execute("SET @@GLOBAL.autovec_image_fetch_timeout = 2.5")
    cur.execute("SET @@GLOBAL.autovec_image_max_redirects = 0")
    expected = [("/srv/images:/data/pics", 1, 3145728, 2.5, 0)]
    query = (
        "SELECT @@GLOBAL.autovec_image_dirs, @@GLOBAL.autovec_image_allow_private_hosts, "
        "@@GLOBAL.autovec_image_max_bytes, @@GLOBAL.autovec_image_fetch_timeout, "
        "@@GLOBAL.autovec_image_max_redirects"
    )
    assert rows(cur, query) == expected
    reopened = autovec.connect(datadir, autocommit=True)
    try:
        assert rows(reopened.cursor(), query) == expected
    finally:
        reopened.close()
    assert policy_of(datadir) == ImageFetchPolicy(
        allowed_dirs=(Path("/srv/images"), Path("/data/pics")),
        allow_private_hosts=True,
        max_bytes=3145728,
        timeout_s=2.5,
        max_redirects=0,
    )
    shown = rows(cur, "SHOW GLOBAL VARIABLES LIKE 'autovec_image%'")
    assert [name for name, _ in shown] == sorted(IMAGE_FETCH_DEFAULTS)


def test_allowed_dirs_set_in_sql_let_the_policy_read_a_file(
    cur: autovec.Cursor, datadir: Path, tmp_path: Path
) -> None:
    images = tmp_path / "images"
    images.mkdir()
    Image.new("RGB", (4, 4), "green").save(images / "leaf.png")
    with pytest.raises(ImageFetchError, match="reads no local files"):
        load_image(str(images / "leaf.png"), policy_of(datadir))
    cur.execute("SET @@GLOBAL.autovec_image_dirs = %s", (str(images),))
    assert load_image(str(images / "leaf.png"), policy_of(datadir)).mime == "image/png"
    cur.execute("SET @@GLOBAL.autovec_image_dirs = DEFAULT")
    assert rows(cur, "SELECT @@GLOBAL.autovec_image_dirs") == [("",)]
    assert policy_of(datadir).allowed_dirs == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("autovec_image_dirs", "'/srv/images'"),
        ("autovec_image_max_bytes", "1000"),
        ("autovec_image_allow_private_hosts", "ON"),
    ],
)
def test_the_variables_are_global_only(
    cur: autovec.Cursor, datadir: Path, name: str, value: str
) -> None:
    for statement in (
        f"SET {name} = {value}",
        f"SET SESSION {name} = {value}",
        f"SET @@{name} = {value}",
    ):
        with pytest.raises(errors.OperationalError) as info:
            cur.execute(statement)
        assert info.value.errno == 1229
        assert "is a GLOBAL variable and should be set with SET GLOBAL" in str(info.value)
    assert policy_of(datadir) == ImageFetchPolicy()


@pytest.mark.parametrize(
    ("assignment", "errno"),
    [
        ("autovec_image_dirs = 'relative/dir'", 1231),
        ("autovec_image_dirs = '/ok,not/absolute'", 1231),
        ("autovec_image_dirs = 5", 1232),
        ("autovec_image_allow_private_hosts = 'maybe'", 1231),
        ("autovec_image_max_bytes = 'lots'", 1232),
        ("autovec_image_max_bytes = 0", 1231),
        ("autovec_image_max_bytes = 1.5", 1231),
        ("autovec_image_fetch_timeout = -1", 1231),
        ("autovec_image_fetch_timeout = 'soon'", 1232),
        ("autovec_image_max_redirects = 21", 1231),
    ],
)
def test_bad_values_fail_the_set_and_change_nothing(
    cur: autovec.Cursor, datadir: Path, assignment: str, errno: int
) -> None:
    with pytest.raises(errors.OperationalError) as info:
        cur.execute(f"SET @@GLOBAL.{assignment}")
    assert info.value.errno == errno
    assert assignment.split(" ")[0] in str(info.value)
    assert policy_of(datadir) == ImageFetchPolicy()
