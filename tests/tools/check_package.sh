#!/usr/bin/env bash
# The Debian package of a build tree (CPack, CMakeLists.txt): builds it, checks its architecture
# and contents, unpacks it into a clean prefix (dpkg -x) and runs `rooftop ops` from there, then
# checks that the unpacked rooftop.pc points at the unpacked header and library. EMULATOR... runs the binary (a cross build's qemu).
# usage: check_package.sh BUILD_DIR OUT_DIR ARCH [EMULATOR...]
set -euo pipefail
build=$1 out=$2 arch=$3
shift 3
rm -rf "$out"
mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 || {
  cat "$out/cpack.log"
  exit 1
}
debs=("$out"/rooftop_*_"$arch".deb)
[ -f "${debs[0]}" ] || { echo "no rooftop_*_$arch.deb in $out" >&2; ls "$out" >&2; exit 1; }
deb=${debs[0]}
got=$(dpkg-deb -f "$deb" Architecture)
[ "$got" = "$arch" ] || { echo "$deb: Architecture $got, want $arch" >&2; exit 1; }
list=$(dpkg-deb -c "$deb")
for want in ./usr/bin/rooftop ./usr/include/rooftop.h /librooftop.a /pkgconfig/rooftop.pc /cmake/rooftop/rooftopConfig.cmake \
  ./usr/share/man/man1/rooftop.1; do
  grep -qF "$want" <<<"$list" || { echo "$deb lacks $want" >&2; exit 1; }
done
dpkg -x "$deb" "$out/root"
"$@" "$out/root/usr/bin/rooftop" ops >"$out/ops.txt"
grep -q '^Conv ' "$out/ops.txt" || { echo "rooftop ops from the package lists no Conv" >&2; head "$out/ops.txt" >&2; exit 1; }
pc=$(dirname "$(find "$out/root" -name rooftop.pc | head -1)")
read -r cflags < <(PKG_CONFIG_PATH=$pc pkg-config --cflags rooftop)
[ "$(realpath -m "${cflags#-I}")" = "$(realpath "$out/root/usr/include")" ] || { echo "rooftop.pc cflags: $cflags" >&2; exit 1; }
libdir=$(PKG_CONFIG_PATH=$pc pkg-config --variable=libdir rooftop)
[ -f "$libdir/librooftop.a" ] || { echo "rooftop.pc libdir $libdir has no librooftop.a" >&2; exit 1; }
echo "$(basename "$deb"): $(wc -l <"$out/ops.txt") lines of rooftop ops from $out/root; pkg-config $cflags"
