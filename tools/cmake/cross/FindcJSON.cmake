# cJSON for cross builds (tools/cmake/aarch64-linux-gnu.cmake puts this folder first on the
# module path): Debian's cJSONConfig.cmake names /usr/include and /usr/lib/<arch>/libcjson.so
# as absolute paths, which would point at the build machine's files. Same target name, `cjson`.
find_path(CJSON_INCLUDE_DIR cjson/cJSON.h)
find_library(CJSON_LIBRARY NAMES cjson)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(cJSON REQUIRED_VARS CJSON_LIBRARY CJSON_INCLUDE_DIR)
if(cJSON_FOUND AND NOT TARGET cjson)
  add_library(cjson UNKNOWN IMPORTED)
  set_target_properties(cjson PROPERTIES IMPORTED_LOCATION "${CJSON_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CJSON_INCLUDE_DIR}")
endif()
