"""Replaying layers as overlayfs would: which file bytes stay visible, which are wasted, and by which layer."""

from __future__ import annotations

import pytest

from imgexp.measure.layertar import DIR, FILE, LINK, OPAQUE, WHITEOUT
from imgexp.measure.waste import replay

Layer = list[tuple[str, str, int]]

#: (layers, visible files as path -> (layer, bytes), waste by layer)
CASES: dict[str, tuple[list[Layer], dict[str, tuple[int, int]], list[int]]] = {
    "nothing-hidden": (
        [[("etc", DIR, 0), ("etc/a", FILE, 10)], [("etc/b", FILE, 20)]],
        {"etc/a": (0, 10), "etc/b": (1, 20)},
        [0, 0],
    ),
    "overwritten-later": (
        [[("f", FILE, 100)], [("f", FILE, 50)]],
        {"f": (1, 50)},
        [100, 0],
    ),
    "overwritten-twice-each-copy-once": (
        [[("f", FILE, 100)], [("f", FILE, 50)], [("f", FILE, 7)]],
        {"f": (2, 7)},
        [100, 50, 0],
    ),
    "whiteout": (
        [[("d", DIR, 0), ("d/f", FILE, 100), ("d/g", FILE, 3)], [("d/f", WHITEOUT, 0)]],
        {"d/g": (0, 3)},
        [100, 0],
    ),
    "whiteout-of-a-directory-hides-its-tree": (
        [
            [("d", DIR, 0), ("d/x", FILE, 7), ("d/y", DIR, 0), ("d/y/z", FILE, 9)],
            [("d/y/w", FILE, 1)],
            [("d", WHITEOUT, 0)],
        ],
        {},
        [16, 1, 0],
    ),
    "whiteout-of-what-never-was": (
        [[("f", FILE, 5)], [("g", WHITEOUT, 0), ("f/x", WHITEOUT, 0)]],
        {"f": (0, 5)},
        [0, 0],
    ),
    "deleted-then-added-again": (
        [[("f", FILE, 100)], [("f", WHITEOUT, 0)], [("f", FILE, 30)]],
        {"f": (2, 30)},
        [100, 0, 0],
    ),
    "directory-deleted-then-made-again": (
        [
            [("d", DIR, 0), ("d/x", FILE, 7000), ("f", FILE, 100000)],
            [("f", FILE, 50000)],
            [("f", WHITEOUT, 0), ("d", WHITEOUT, 0), ("d", DIR, 0), ("d/y", FILE, 300)],
        ],
        {"d/y": (2, 300)},
        [107000, 50000, 0],
    ),
    "opaque-directory": (
        [
            [("d", DIR, 0), ("d/a", FILE, 10), ("d/sub", DIR, 0), ("d/sub/b", FILE, 20), ("other", FILE, 5)],
            [("d", DIR, 0), ("d", OPAQUE, 0), ("d/c", FILE, 3)],
        ],
        {"other": (0, 5), "d/c": (1, 3)},
        [30, 0],
    ),
    "opaque-keeps-what-its-own-layer-wrote-before-the-marker": (
        [
            [("d", DIR, 0), ("d/a", FILE, 10), ("d/sub", DIR, 0), ("d/sub/b", FILE, 20)],
            [
                ("d", DIR, 0),
                ("d/-early", FILE, 4),
                ("d/sub", DIR, 0),
                ("d/sub/new", FILE, 6),
                ("d", OPAQUE, 0),
                ("d/c", FILE, 3),
            ],
        ],
        {"d/-early": (1, 4), "d/sub/new": (1, 6), "d/c": (1, 3)},
        [30, 0],
    ),
    "whiteout-keeps-what-its-own-layer-wrote": (
        [[("f", FILE, 100)], [("f", FILE, 8), ("f", WHITEOUT, 0)]],
        {"f": (1, 8)},
        [100, 0],
    ),
    "opaque-of-an-empty-directory": (
        [[("d", DIR, 0)], [("d", OPAQUE, 0), ("d/a", FILE, 1)]],
        {"d/a": (1, 1)},
        [0, 0],
    ),
    "file-replaced-by-a-symlink": (
        [[("usr/bin/python", FILE, 100)], [("usr/bin/python", LINK, 0)]],
        {},
        [100, 0],
    ),
    "symlink-replaced-by-a-file": (
        [[("usr/bin/python", LINK, 0)], [("usr/bin/python", FILE, 100)]],
        {"usr/bin/python": (1, 100)},
        [0, 0],
    ),
    "links-carry-no-bytes": (
        [[("f", FILE, 100), ("hard", LINK, 0), ("soft", LINK, 0)], [("hard", WHITEOUT, 0), ("soft", WHITEOUT, 0)]],
        {"f": (0, 100)},
        [0, 0],
    ),
    "directory-replaced-by-a-file": (
        [[("d", DIR, 0), ("d/a", FILE, 10), ("d/b/c", FILE, 5)], [("d", FILE, 2)]],
        {"d": (1, 2)},
        [15, 0],
    ),
    "file-replaced-by-a-directory": (
        [[("d", FILE, 5)], [("d", DIR, 0), ("d/a", FILE, 1)]],
        {"d/a": (1, 1)},
        [5, 0],
    ),
    "directory-replaced-by-a-symlink": (
        [[("lib", DIR, 0), ("lib/x.so", FILE, 40)], [("lib", LINK, 0)]],
        {},
        [40, 0],
    ),
    "parent-never-listed": (
        [[("a/b/c/f", FILE, 10)], [("a/b", WHITEOUT, 0)]],
        {},
        [10, 0],
    ),
    "similar-names-are-other-paths": (
        [[("d", DIR, 0), ("d/x", FILE, 1), ("dd", DIR, 0), ("dd/x", FILE, 2), ("d.x", FILE, 4)], [("d", WHITEOUT, 0)]],
        {"dd/x": (0, 2), "d.x": (0, 4)},
        [1, 0],
    ),
}


@pytest.mark.parametrize(("layers", "files", "wasted"), list(CASES.values()), ids=list(CASES))
def test_replay(layers: list[Layer], files: dict[str, tuple[int, int]], wasted: list[int]) -> None:
    result = replay(layers)
    assert result.files == files
    assert result.wasted_by_layer == wasted
    shipped = sum(size for layer in layers for _, kind, size in layer if kind == FILE)
    assert result.layer_file_bytes == shipped
    assert result.wasted_bytes == sum(wasted)
    # each shipped byte is either visible or wasted, never both
    assert sum(size for _, size in files.values()) + sum(wasted) == shipped


@pytest.mark.parametrize(
    ("layers", "efficiency"),
    [
        pytest.param([], 1.0, id="no-layers"),
        pytest.param([[("d", DIR, 0), ("l", LINK, 0)]], 1.0, id="no-file-bytes"),
        pytest.param([[("f", FILE, 300)], [("g", FILE, 100)]], 1.0, id="nothing-hidden"),
        pytest.param([[("f", FILE, 300)], [("f", FILE, 100)]], 0.25, id="three-quarters-hidden"),
        pytest.param([[("f", FILE, 300)], [("f", WHITEOUT, 0)]], 0.0, id="all-hidden"),
    ],
)
def test_efficiency_is_the_share_of_shipped_bytes_a_container_sees(layers: list[Layer], efficiency: float) -> None:
    assert replay(layers).efficiency == pytest.approx(efficiency)


@pytest.mark.xfail(
    strict=True,
    reason="entries carry no link target: a hard link that keeps a deleted file's "
    "bytes visible is not followed, so those bytes count as wasted",
)
def test_a_hard_link_keeps_the_bytes_of_a_deleted_name_visible() -> None:
    result = replay([[("f", FILE, 100), ("h", LINK, 0)], [("f", WHITEOUT, 0)]])
    assert result.wasted_bytes == 0
