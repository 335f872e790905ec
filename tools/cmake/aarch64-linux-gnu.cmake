# Cross build for arm64 (aarch64) Linux with Debian's gcc-aarch64-linux-gnu. The C library
# comes from the cross toolchain (libc6-dev-arm64-cross); rooftop's dependencies come from a
# sysroot of Debian's :arm64 packages unpacked with dpkg -x (tools/test_arm64.sh makes it), never
# installed with apt, which would remove their amd64 twins. Tests run under qemu-user.
#   cmake -S . -B build-arm64/build -DCMAKE_TOOLCHAIN_FILE=tools/cmake/aarch64-linux-gnu.cmake \
#         -DROOF_ARM64_SYSROOT=$PWD/build-arm64/sysroot
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT ROOF_ARM64_SYSROOT)
  set(ROOF_ARM64_SYSROOT "$ENV{ROOF_ARM64_SYSROOT}")
endif()
if(NOT IS_DIRECTORY "${ROOF_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
  message(FATAL_ERROR "ROOF_ARM64_SYSROOT (${ROOF_ARM64_SYSROOT}) is not an unpacked arm64 sysroot")
endif()
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ROOF_ARM64_SYSROOT)

# Not CMAKE_SYSROOT: the sysroot holds only the libraries, the C library's headers and start
# files stay the cross compiler's own.
set(CMAKE_FIND_ROOT_PATH "${ROOF_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER) # protoc-c runs on the build machine
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Debian's cJSONConfig.cmake names absolute /usr paths: a find module re-rooted like the others.
list(PREPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}/cross")
set(ENV{PKG_CONFIG_LIBDIR} "${ROOF_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${ROOF_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${ROOF_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_PATH} "")
# libXNNPACK.so's own dependencies (cpuinfo, pthreadpool) are found at link time through here.
set(_roof_rpl "-Wl,-rpath-link,${ROOF_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_roof_rpl}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_roof_rpl}")

# ctest runs the test programs under qemu-user with the sysroot as their root for libraries.
find_program(ROOF_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 NO_CMAKE_FIND_ROOT_PATH)
if(ROOF_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${ROOF_QEMU_AARCH64};-L;${ROOF_ARM64_SYSROOT}")
endif()
