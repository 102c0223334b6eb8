#!/usr/bin/env bash
# Makes sure this machine can load TorchSharp 0.107's native glue (libLibTorchSharp.so), which
# needs libstdc++ from GCC 13 or later (symbol version GLIBCXX_3.4.32).
#
# - Linux with a new enough libstdc++ (Ubuntu 24.04+, Debian 13+, Fedora 39+): nothing to do.
# - Debian 12 as root with apt: installs libstdc++6 from Debian 13 (trixie) with a low pin priority,
#   so nothing else on the machine moves to trixie, and says so in one line.
# - Anything else without the symbol: prints one line saying what to install and exits 1.
# Windows and macOS never run this script.
set -u
required=GLIBCXX_3.4.32

find_libstdcxx() {
  local candidate
  for candidate in $(/sbin/ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF}') \
                   /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 \
                   /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    [ -e "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

has_required_symbol() {
  local lib
  lib=$(find_libstdcxx) || return 1
  grep -qa "$required" "$lib"
}

[ "$(uname -s)" = "Linux" ] || exit 0
has_required_symbol && exit 0

debian_major=""
[ -r /etc/debian_version ] && debian_major=$(cut -d. -f1 /etc/debian_version)

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "$debian_major" = "12" ]; then
  exec 9>/tmp/resnestblocks-native-runtime.lock
  flock 9
  has_required_symbol && exit 0
  log=/tmp/resnestblocks-native-runtime.log
  {
    echo "deb http://deb.debian.org/debian trixie main" > /etc/apt/sources.list.d/resnestblocks-trixie.list
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/resnestblocks-trixie
    apt-get update -o Acquire::Retries=3 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -t trixie libstdc++6
  } >"$log" 2>&1
  if has_required_symbol; then
    echo "ResNeStBlocks setup: installed libstdc++6 from Debian 13 (trixie) because TorchSharp needs $required (log: $log)."
    exit 0
  fi
  echo "ResNeStBlocks setup: installing libstdc++6 from Debian 13 (trixie) failed; see $log. TorchSharp needs $required (libstdc++ from GCC 13 or later)."
  exit 1
fi

echo "ResNeStBlocks setup: TorchSharp needs $required (libstdc++ from GCC 13 or later), which this machine lacks. Install a newer libstdc++6 (on Debian 12, as root: add a trixie apt source with a low pin priority and run 'apt-get install -t trixie libstdc++6'), or use Ubuntu 24.04+/Debian 13+."
exit 1
