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

# The pure codecs and what they use from base/; nothing with I/O (DKIM signing uses OpenSSL).
SOURCES=(
  src/base/result.cc src/base/strings.cc
  src/protocol/text.cc
  src/protocol/smtp/address.cc src/protocol/smtp/command.cc src/protocol/smtp/data_decoder.cc
  src/protocol/smtp/reply.cc
  src/protocol/imap/reader.cc src/protocol/imap/command.cc src/protocol/imap/types.cc
  src/protocol/imap/command_parser.cc src/protocol/imap/command_session.cc
  src/protocol/imap/command_mailbox.cc src/protocol/imap/command_list.cc
  src/protocol/imap/command_search.cc src/protocol/imap/command_fetch.cc
  src/protocol/imap/command_store.cc
  src/protocol/imap/mutf7.cc src/protocol/imap/response.cc
  src/protocol/pop3/codec.cc
  src/config/config.cc
  src/directory/address.cc src/directory/json.cc src/directory/model.cc
  src/server/http/json_body.cc
  src/protocol/smtp/client_reply.cc
  src/mime/header.cc src/mime/message.cc src/mime/part_map.cc
  src/queue/dkim.cc src/queue/resolver.cc
)

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
