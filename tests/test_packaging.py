"""The built wheel works on its own: outside a checkout, with its packaged data and defaults.

An editable install reads everything from the checkout, so it hides files missing from the wheel (the sandbox's
OpenAPI spec, the migrations, the default catalogue). This test builds the wheel, installs it into a fresh venv
and runs the `release-bot` script from an empty directory.

To stay fast, the fresh venv takes its third-party dependencies from this test venv's site-packages (a .pth
line; they were installed from the same pyproject's list) instead of downloading them again: what is under test is
the wheel's own content and entry point. The checkout itself is not importable there: this venv's editable-install
hook lives in a .pth file that a .pth-added directory does not run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run(
    *args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `release-bot` script of a fresh venv that has the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a clean copy, as from a fresh clone: the checkout's egg-info (left by the editable install)
    # lists files that setuptools would then put into the wheel although pyproject.toml does not ship them.
    source = tmp / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", ".", "-w", tmp / "dist", cwd=source, timeout=300)
    (wheel,) = (tmp / "dist").glob("release_bot-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    (site / "test_venv_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    return venv / "bin" / "release-bot"


def test_the_wheel_runs_the_demo_from_an_empty_directory(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL", "PYTHONPATH")},
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
    }
    empty = tmp_path / "empty"
    empty.mkdir()

    # The package is the installed one, not this checkout's.
    where = run(installed.parent / "python", "-c", "import bot; print(bot.__file__)", cwd=empty, env=env)
    assert not where.stdout.startswith(str(ROOT)), where.stdout

    # The packaged catalogue and settings; the database in the user's data directory, and it says so.
    checked = run(installed, "check-config", cwd=empty, env=env)
    database = home / "data" / "release-bot" / "release-bot.sqlite3"
    assert "OK — 1 release(s), featured: all-the-light-we-cannot-see" in checked.stdout
    assert checked.stdout.rstrip().endswith(f"database: sqlite+aiosqlite:///{database}")
    upgraded = run(installed, "db", "upgrade", cwd=empty, env=env)  # the migrations are in the wheel
    assert f"sqlite+aiosqlite:///{database}" in upgraded.stdout and database.is_file()

    # The demo: the sandbox (its OpenAPI spec is in the wheel) and the real bot, posts arriving.
    demo = run(installed, "demo", "--seconds", "5", cwd=empty, env=env, timeout=90)
    assert "Local Discord sandbox at http://127.0.0.1:" in demo.stdout
    assert "Hugh Laurie as Etienne LeBlanc" in demo.stdout
    posts = [line for line in demo.stdout.splitlines() if "] #announcements: " in line]
    assert len(posts) >= 3, demo.stdout  # milestones, then the premiere post
    assert all("premieres on Netflix in " in post for post in posts[:-1]), posts
    assert "is out now" in posts[-1] and "That's the whole tour." in demo.stdout
    assert list(empty.iterdir()) == []  # nothing written into the working directory
