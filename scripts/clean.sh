#!/usr/bin/env bash
# `make clean`: remove each folder given, printing its size; then the total freed.
set -euo pipefail
total=0
for path in "$@"; do
  [ -e "$path" ] || continue
  kib=$(du -sk "$path" | cut -f1)
  rm -rf -- "$path"
  total=$((total + kib))
  printf 'removed %-50s %8s MB\n' "$path" "$((kib / 1024))"
done
printf 'make clean: freed %s MB\n' "$((total / 1024))"
