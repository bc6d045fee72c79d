#!/usr/bin/env bash
# Copy a checkout's files into another folder as git sees them: tracked and untracked files, not
# what git ignores. Files gone from the checkout are deleted from the copy; the copy's own ignored
# paths (its .venv, .venv-train, build/, out/) are kept, not replaced by the checkout's.
#
# Usage: scripts/copy_checkout.sh CHECKOUT DEST
set -euo pipefail

src=${1:?usage: $0 CHECKOUT DEST}
dest=${2:?usage: $0 CHECKOUT DEST}

# rsync's .gitignore filter alone misses what git ignores by other rules (.git/info/exclude, the
# global excludes file) and a symlink where .gitignore names a directory (/.venv/ matches no
# symlink): a git worktree's .venv linked to another checkout's venv was copied as a dangling link
# over the copy's own venv. So git lists what it ignores here, as anchored rsync excludes (wildcard
# characters escaped); the .gitignore filter stays for ignored paths the copy has and the checkout
# lacks, which it protects from deletion: after the transfer, so that the .gitignore just copied
# counts (rsync reads the receiver's own for that, absent in a new root).
ignored_paths() {
    git -c safe.directory="$src" -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
    git -c safe.directory="$src" -C "$src" ls-files -z --others --ignored --exclude-standard --directory |
        tr '\0' '\n' | sed -e 's:/$::' -e 's/[[*?]/\\&/g' -e 's:^:/:'
}

mkdir -p "$dest"
rsync -a --delete-after --exclude=/.git --exclude-from=<(ignored_paths) --filter=':- .gitignore' "$src/" "$dest/"
