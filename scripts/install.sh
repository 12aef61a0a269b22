#!/usr/bin/env bash
# Installs the five tools with their man pages and shell completions:
#
#   scripts/install.sh [--prefix DIR] [--from DIR]
#
#   --prefix DIR  where to install (default: /usr/local as root, else ~/.local):
#                 DIR/bin/TOOL, DIR/share/man/man1/TOOL.1,
#                 DIR/share/bash-completion/completions/TOOL,
#                 DIR/share/zsh/site-functions/_TOOL,
#                 DIR/share/fish/vendor_completions.d/TOOL.fish
#   --from DIR    take the binaries already built in DIR (e.g. target/release)
#                 instead of running `cargo build --release`
#
# The man pages and completions are what each tool prints with
# `TOOL --generate man|bash|zsh|fish`, so they describe the binaries installed.
set -euo pipefail
cd "$(dirname "$0")/.."

tools=(ltail lparse lcount lgrep hprobe)
if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
from=
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --from) from="${2:?--from needs a directory}"; shift 2 ;;
        --from=*) from="${1#--from=}"; shift ;;
        -h|--help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "scripts/install.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done

if [ -z "$from" ]; then
    cargo build --release
    from=target/release
fi

man="$prefix/share/man/man1"
bash_dir="$prefix/share/bash-completion/completions"
zsh_dir="$prefix/share/zsh/site-functions"
fish_dir="$prefix/share/fish/vendor_completions.d"
mkdir -p "$prefix/bin" "$man" "$bash_dir" "$zsh_dir" "$fish_dir"
for tool in "${tools[@]}"; do
    [ -x "$from/$tool" ] || { echo "scripts/install.sh: $from/$tool: no such binary" >&2; exit 2; }
    install -m 755 "$from/$tool" "$prefix/bin/$tool"
    "$from/$tool" --generate man > "$man/$tool.1"
    "$from/$tool" --generate bash > "$bash_dir/$tool"
    "$from/$tool" --generate zsh > "$zsh_dir/_$tool"
    "$from/$tool" --generate fish > "$fish_dir/$tool.fish"
done
echo "installed ${tools[*]} in $prefix/bin, their man pages in $man, completions for bash, zsh and fish"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH" ;;
esac
