"""What an image holds, read from overlay2-shaped layer folders written here (whiteouts, links, opaque folders)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from imgexp.derive.holdings import Config, read_holdings
from imgexp.derive.layers import Layered
from imgexp.derive.plan import plan

Layer = dict[str, str | None]
"""path -> file text, ``->target`` for a symbolic link, None for a whiteout"""


def _layers(root: Path, layers: list[Layer]) -> Layered:
    folders = []
    for number, layer in enumerate(layers):
        folder = root / str(number)
        folder.mkdir(parents=True)
        for path, content in layer.items():
            where = folder / path.lstrip("/")
            where.parent.mkdir(parents=True, exist_ok=True)
            if content is None:
                os.mknod(where, stat.S_IFCHR | 0o600, os.makedev(0, 0))
            elif content.startswith("->"):
                where.symlink_to(content[2:])
            elif path.endswith("/"):
                where.mkdir(exist_ok=True)
            else:
                where.write_text(content)
        folders.append(folder)
    return Layered(tuple(folders))


BASE: Layer = {
    "/usr/lib/x86_64-linux-gnu/libc.so.6": "libc",
    "/lib": "->usr/lib",
    "/usr/bin/python3.11": "python",
    "/usr/bin/python3": "->python3.11",
    "/usr/local/lib/python3.11/dist-packages/pip/__init__.py": "pip",
    "/usr/local/lib/python3.11/dist-packages/pip-23.0.1.dist-info/METADATA": "",
    "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
    "/etc/group": "root:x:0:\n",
    "/home/": "",
    "/srv/": "",
}


@pytest.mark.skipif(os.geteuid() != 0, reason="a whiteout is a character device: mknod needs root")
@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        ("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
        ("/usr/bin/python3", "/usr/bin/python3.11"),
        ("/etc/group", None),  # whited out by the user's layer
        ("/usr/bin/nothing", None),
    ],
)
def test_a_path_resolves_through_links_and_layers_as_in_the_container(
    tmp_path: Path, path: str, resolved: str | None
) -> None:
    image = _layers(tmp_path, [BASE, {"/etc/group": None}])
    assert image.resolve(path) == resolved


USER_LAYERS: list[Layer] = [
    {
        "/etc/passwd": BASE["/etc/passwd"] + "app:x:1000:1000::/home/app:/bin/sh\n",  # type: ignore[operator]
        "/etc/group": "root:x:0:\napp:x:1000:\n",
        "/home/app/.bashrc": "",
    },
    {
        "/usr/local/lib/python3.11/dist-packages/flask/__init__.py": "flask",
        "/usr/local/lib/python3.11/dist-packages/flask-3.1.0.dist-info/METADATA": "",
        "/usr/local/lib/python3.11/dist-packages/pip/__pycache__/x.pyc": "",
        "/usr/local/bin/flask": "#!/usr/bin/python3",
        "/root/.cache/pip/http/blob": "cached",
        "/var/lib/apt/lists/x": "",
    },
    {"/opt/venv/pyvenv.cfg": "home = /usr/bin", "/opt/venv/lib/python3.11/site-packages/attrs-24.2.0.dist-info/": ""},
    {"/app/main.py": "print()", "/app/generated.json": "{}", "/srv/extra/data.txt": "x"},
]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("venvs", ("/opt/venv",)),
        ("site_dirs", ("/usr/local/lib/python3.11/dist-packages",)),
        ("scripts", ("/usr/local/bin/flask",)),
        ("workdir", "/app"),
        ("roots", ("/home/app", "/srv/extra")),
        ("interpreter", "/usr/bin/python3.11"),
        ("account", ("app:x:1000:1000::/home/app:/bin/sh", "app:x:1000:")),
    ],
)
def test_what_the_users_layers_added_is_sorted_into_what_the_service_needs(
    tmp_path: Path, field: str, expected: object
) -> None:
    image = _layers(tmp_path, [BASE, *USER_LAYERS])
    holdings = read_holdings(image, 1, Config(workdir="/app", user="app"))
    assert getattr(holdings, field) == expected


def test_the_distributions_of_each_kept_folder_are_named_with_their_versions(tmp_path: Path) -> None:
    image = _layers(tmp_path, [BASE, *USER_LAYERS])
    holdings = read_holdings(image, 1, Config(workdir="/app"))
    assert holdings.distributions == {
        "/opt/venv": ("attrs==24.2.0",),
        "/usr/local/lib/python3.11/dist-packages": ("flask==3.1.0", "pip==23.0.1"),
    }


def test_the_plan_copies_each_kept_path_to_the_same_place_and_says_why(tmp_path: Path) -> None:
    image = _layers(tmp_path / "image", [BASE, *USER_LAYERS])
    slim = _layers(tmp_path / "slim", [BASE])
    holdings = read_holdings(image, 1, Config(workdir="/app"))
    made = plan("multi-stage", holdings, slim, "3.11", image)
    assert made.base == "python:3.11-slim" and made.packages == ()
    assert [copy.paths for copy in made.copies] == [
        ("/opt/venv",),
        ("/usr/local/lib/python3.11/dist-packages",),
        ("/usr/local/bin/flask",),
        ("/app",),
        ("/home/app",),
        ("/srv/extra",),
    ]
    assert all(copy.why for copy in made.copies)
