#!/usr/bin/env bash
# Makes sure this machine can load TorchSharp 0.107's native glue (libLibTorchSharp.so), which
# needs libstdc++ from GCC 13 or later (symbol version GLIBCXX_3.4.32).
#
# - Linux with a new enough libstdc++ (Ubuntu 24.04+, Debian 13+, Fedora 39+): nothing to do.
# - Debian 12 as root with apt: installs libstdc++6 from Debian 13 (trixie). libstdc++ 14 needs
#   glibc 2.38, so apt moves libc6 and its companions to Debian 13 as well (on a fresh Debian 12:
#   28 packages, among them libc6 2.41, dpkg and base-files; nothing removed). The trixie source is
#   pinned at priority 100 so that later upgrades take nothing else from it. The one line printed
#   lists every package apt upgraded, installed or removed.
# - Anything else without the symbol: prints one line saying what to install and exits 1.
# Windows and macOS never run this script. Builds skip it with -p:SkipNativeRuntimeSetup=true.
#
# setup-native-runtime.sh --summarize-apt-log LOG prints what an earlier run's apt log says changed.
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

# Reads apt-get's "The following ... will be ..." lists from its log and says, in one sentence
# fragment, which packages were upgraded, newly installed and removed.
summarize_apt_log() {
  awk '
    /^The following packages will be upgraded:/      { section = "upgraded"; next }
    /^The following NEW packages will be installed:/ { section = "new"; next }
    /^The following packages will be REMOVED:/       { section = "removed"; next }
    /^  / && section != "" { for (i = 1; i <= NF; i++) { list[section] = list[section] " " $i; count[section]++ } next }
    { section = "" }
    function named(name) { return count[name] ? " (" substr(list[name], 2) ")" : "" }
    END {
      printf "apt upgraded %d package(s) to Debian 13%s, installed %d new%s and removed %s",
        count["upgraded"], named("upgraded"), count["new"], named("new"), count["removed"] ? count["removed"] named("removed") : "none"
    }
  ' "$1"
}

if [ "${1:-}" = "--summarize-apt-log" ]; then
  summarize_apt_log "$2"
  echo
  exit 0
fi

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
      DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get install -y -t trixie libstdc++6
  } >"$log" 2>&1
  if has_required_symbol; then
    echo "ResNeStBlocks setup: installed libstdc++6 from Debian 13 (trixie) because TorchSharp needs $required (and that libstdc++6 needs glibc 2.38); $(summarize_apt_log "$log"); libc6 is now $(dpkg-query -W -f='${Version}' libc6 2>/dev/null) and /etc/debian_version reads $(cat /etc/debian_version) (log: $log; to keep a machine on Debian 12, build with -p:SkipNativeRuntimeSetup=true and run in a Debian 13 or Ubuntu 24.04 container)."
    exit 0
  fi
  echo "ResNeStBlocks setup: installing libstdc++6 from Debian 13 (trixie) failed; see $log. TorchSharp needs $required (libstdc++ from GCC 13 or later)."
  exit 1
fi

echo "ResNeStBlocks setup: TorchSharp needs $required (libstdc++ from GCC 13 or later), which this machine lacks. Install a newer libstdc++6 (on Debian 12, as root: add a trixie apt source and run 'apt-get install -t trixie libstdc++6', which also moves libc6 and about 27 other packages to Debian 13), or use Ubuntu 24.04+/Debian 13+."
exit 1
