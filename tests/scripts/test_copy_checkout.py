"""scripts/copy_checkout.sh: the checkout's files as git sees them, copied into a Debian root that keeps
its own venvs and builds (scripts/debian_root.sh)."""
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "copy_checkout.sh"

pytestmark = pytest.mark.skipif(not (shutil.which("git") and shutil.which("rsync")), reason="needs git and rsync")


def git(checkout, *args):
    subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True)


@pytest.fixture
def checkout(tmp_path):
    """A git checkout like a worktree of this project: .gitignore names the venv as a folder,
    .git/info/exclude names it as a path, and the venv is a symlink to another checkout's."""
    checkout = tmp_path / "checkout"
    (checkout / "pkg").mkdir(parents=True)
    git(checkout, "init", "-q")
    (checkout / ".gitignore").write_text("/.venv/\n/build/\n")
    (checkout / "pkg" / "module.py").write_text("tracked\n")
    git(checkout, "add", ".")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "first")
    (checkout / "pkg" / "new.py").write_text("untracked, not ignored\n")
    (checkout / ".git" / "info" / "exclude").write_text("/.venv\n/notes\\[1\\].txt\n")
    (checkout / "notes[1].txt").write_text("ignored by .git/info/exclude only\n")
    other_venv = tmp_path / "other-checkout" / ".venv"
    other_venv.mkdir(parents=True)
    (checkout / ".venv").symlink_to(other_venv)
    return checkout


@pytest.fixture
def root_copy(tmp_path):
    """The copy in a Debian root after an earlier run: its own venv and build, a file since deleted."""
    copy = tmp_path / "root" / "work" / "building-area"
    (copy / ".venv" / "bin").mkdir(parents=True)
    (copy / ".venv" / "bin" / "python").write_text("the root's own python\n")
    (copy / "build").mkdir()
    (copy / "build" / "plugin.zip").write_text("the root's own build\n")
    (copy / "pkg").mkdir()
    (copy / "pkg" / "removed.py").write_text("gone from the checkout\n")
    return copy


def copy_checkout(checkout, copy):
    subprocess.run([str(SCRIPT), str(checkout), str(copy)], check=True, capture_output=True)


def test_copies_tracked_and_untracked_files_and_deletes_those_gone_from_the_checkout(checkout, root_copy):
    copy_checkout(checkout, root_copy)
    assert (root_copy / "pkg" / "module.py").read_text() == "tracked\n"
    assert (root_copy / "pkg" / "new.py").read_text() == "untracked, not ignored\n"
    assert (root_copy / ".gitignore").exists()
    assert not (root_copy / "pkg" / "removed.py").exists()
    assert not (root_copy / ".git").exists()


def test_keeps_the_roots_own_venv_where_the_checkouts_venv_is_a_symlink(checkout, root_copy):
    copy_checkout(checkout, root_copy)
    assert not (root_copy / ".venv").is_symlink()
    assert (root_copy / ".venv" / "bin" / "python").read_text() == "the root's own python\n"
    assert (root_copy / "build" / "plugin.zip").read_text() == "the root's own build\n"


def test_leaves_out_what_git_ignores_by_its_exclude_file_alone(checkout, root_copy):
    copy_checkout(checkout, root_copy)
    assert not (root_copy / "notes[1].txt").exists()


def test_a_fresh_root_gets_no_venv_symlink(checkout, tmp_path):
    copy = tmp_path / "fresh-root" / "work" / "building-area"
    copy_checkout(checkout, copy)
    assert not (copy / ".venv").exists() and not (copy / ".venv").is_symlink()
    assert (copy / "pkg" / "module.py").exists()
