#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang, outside the main CMake build.
# Usage: tests/fuzz/build.sh [OUT_DIR]   (default: build/fuzz)
# Needs: clang++ (clang 14+) with libclang-rt (libFuzzer, ASan, UBSan), and (pkg-config) fmt,
# toml++, libidn2, GMime 3, OpenSSL, spdlog, c-ares.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/fuzz}
mkdir -p "$out/obj"

CXX=${CXX_FUZZ:-}
if [ -z "$CXX" ]; then
  for c in clang++ clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null 2>&1; then CXX=$c; break; fi
  done
fi
[ -n "$CXX" ] || { echo "fuzz/build.sh: clang++ not found (scripts/install-deps installs it)" >&2; exit 1; }

PKGS="fmt tomlplusplus libidn2 gmime-3.0 libcrypto spdlog libcares"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
# config.cc takes the panel's default location from CMake; the fuzzers serve no panel.
FLAGS="-std=gnu++20 -O1 -g -fno-omit-frame-pointer -DPOSTHOUSE_WEB_ROOT=\"\" -I$root/src $(pkg-config --cflags $PKGS 2>/dev/null || true)"
LIBS="$(pkg-config --libs $PKGS)"

# The pure codecs and what they use from base/; nothing with I/O (DKIM signing and verifying
# use OpenSSL).
# Globs, so that a file split in two stays in the build (tests are left out below).
shopt -s nullglob
cd "$root"
SOURCES=()
for s in \
  src/base/result.cc src/base/strings.cc src/base/printable.cc \
  src/protocol/text.cc \
  src/protocol/smtp/*.cc \
  src/protocol/imap/*.cc \
  src/protocol/pop3/*.cc \
  src/config/*.cc \
  src/model/*.cc \
  src/directory/address.cc \
  src/server/http/json_body.cc \
  src/mime/*.cc \
  src/queue/dkim.cc src/queue/resolver.cc \
  src/net/ares_channel.cc src/net/dns.cc src/net/ares_dns.cc src/net/dns_ttl.cc \
  src/net/blocking_socket.cc \
  src/antispam/*.cc; do
  case $s in *_test.cc) continue ;; esac
  [ -f "$s" ] || { echo "fuzz/build.sh: $s is gone; update the source list" >&2; exit 1; }
  SOURCES+=("$s")
done
cd - >/dev/null

objs=()
for s in "${SOURCES[@]}"; do
  o="$out/obj/$(echo "$s" | tr '/' '_').o"
  if [ ! -f "$o" ] || [ "$root/$s" -nt "$o" ] || [ -n "$(find "$root/src" -name '*.h' -newer "$o" -print -quit)" ]; then
    # Library code gets -fsanitize=fuzzer-no-link: coverage without a second main().
    $CXX $FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
      -c "$root/$s" -o "$o"
  fi
  objs+=("$o")
done

targets=()
for t in "$root"/tests/fuzz/*_fuzz.cc; do
  name=$(basename "$t" .cc)
  bin="$out/$name"
  if [ ! -f "$bin" ] || [ "$t" -nt "$bin" ] || [ -n "$(find "$out/obj" -newer "$bin" -print -quit)" ]; then
    $CXX $FLAGS $SAN "$t" "${objs[@]}" $LIBS -o "$bin"
  fi
  targets+=("$name")
done
echo "fuzz targets in $out: ${targets[*]}"
