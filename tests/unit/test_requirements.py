"""Reading a requirements file as pip reads it: names in file order, markers, comments, options, bad lines."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from imgexp.errors import ImgexpError, RequirementsNotFound
from imgexp.requirements import read_requirements


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "names", "markers"),
    [
        pytest.param("six\nrequests>=2.0\n", ("six", "requests"), {}, id="plain"),
        pytest.param("zope.interface\nattrs\nsix\n", ("zope.interface", "attrs", "six"), {}, id="file-order"),
        pytest.param("", (), {}, id="empty"),
        pytest.param("# top\n\n   \n  six  # why\n\t\n", ("six",), {}, id="comments-and-blanks"),
        pytest.param("six\t# pinned by hand\n", ("six",), {}, id="comment-after-a-tab"),
        pytest.param(
            "foo @ https://example.com/foo-1.0-py3-none-any.whl#sha256=abc\n",
            ("foo",),
            {},
            id="hash-sign-inside-a-url-is-no-comment",
        ),
        pytest.param("requests[socks,security]>=2.31,<3\n", ("requests",), {}, id="extras-and-specifiers"),
        pytest.param(
            "--index-url https://example.com/simple\n-i https://example.com\n--extra-index-url https://x\n"
            "-r base.txt\n-c constraints.txt\n-e ./local\n--pre\nsix\n",
            ("six",),
            {},
            id="option-lines",
        ),
        pytest.param(
            "requests==2.31.0 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\nidna==3.4 --hash=sha256:cccc\n",
            ("requests", "idna"),
            {},
            id="pip-compile-hashes",
        ),
        pytest.param(
            "six \\\n# a comment ends the continuation\nidna\n", ("six", "idna"), {}, id="continuation-then-comment"
        ),
        pytest.param("six\nsix>=1.16\n", ("six",), {}, id="a-name-twice-counts-once"),
        pytest.param('six; python_version < "3.12"\n', ("six",), {"six": ('python_version < "3.12"',)}, id="marker"),
        pytest.param(
            "six ; python_version<'3.12'\n",
            ("six",),
            {"six": ('python_version < "3.12"',)},
            id="marker-written-loosely",
        ),
        pytest.param(
            'six; \\\n    sys_platform == "linux"\n',
            ("six",),
            {"six": ('sys_platform == "linux"',)},
            id="marker-on-a-continuation",
        ),
        pytest.param('foo\nfoo; sys_platform == "win32"\n', ("foo",), {}, id="an-unconditional-line-wins"),
        pytest.param(
            'bar; python_version < "3"\nbar; python_version >= "3"\nbaz\n',
            ("bar", "baz"),
            {"bar": ('python_version < "3"', 'python_version >= "3"')},
            id="every-line-conditional",
        ),
    ],
)
def test_names_and_markers(tmp_path: Path, text: str, names: tuple[str, ...], markers: dict) -> None:
    parsed = read_requirements(_file(tmp_path, text))
    assert parsed.names == names
    assert parsed.markers == markers


def test_the_hash_is_of_the_file_bytes(tmp_path: Path) -> None:
    path = _file(tmp_path, "six\n# a comment\n")
    first = read_requirements(path)
    assert first.sha256 == hashlib.sha256(b"six\n# a comment\n").hexdigest()
    path.write_text("six\n# another comment\n")
    second = read_requirements(path)
    assert second.names == first.names and second.sha256 != first.sha256


@pytest.mark.parametrize(
    ("text", "number", "shown"),
    [
        pytest.param("six\nnot a requirement!\n", 2, "not a requirement!", id="words"),
        pytest.param("six==\n", 1, "six==", id="no-version"),
        pytest.param("requests >= 2.0 extra junk\n", 1, "requests >= 2.0 extra junk", id="trailing-junk"),
        pytest.param("a==1 \\\n  --hash=sha256:x\nb c\n", 3, "b c", id="numbered-after-a-continuation"),
        pytest.param("ok\nbad==1 \\\n  junk\n", 2, "bad==1   junk", id="numbered-at-its-first-line"),
    ],
)
def test_an_invalid_line_is_one_error_naming_file_and_line(tmp_path: Path, text: str, number: int, shown: str) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(ImgexpError) as caught:
        read_requirements(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{number}: {shown!r} is not a valid requirement")


@pytest.mark.parametrize("kind", ["missing", "a folder"])
def test_a_missing_file_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "requirements.txt"
    if kind == "a folder":
        path.mkdir()
    with pytest.raises(RequirementsNotFound) as caught:
        read_requirements(path)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value) and "--requirements" in str(caught.value)
