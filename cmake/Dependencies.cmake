# Finds the engine's libraries. With the default preset they come from the
# system (Debian's -dev packages); with the vcpkg preset from vcpkg's tree.
# Either way a plain header + library search works, so no package manager's
# CMake modules are required. Sets AQZ_DEPENDENCIES to the imported targets.

find_package(nlohmann_json 3 REQUIRED)

# aqz_find_library(<target> <header> <library names...>)
function(aqz_find_library target header)
  string(MAKE_C_IDENTIFIER ${target} var)
  find_path(${var}_INCLUDE_DIR ${header})
  find_library(${var}_LIBRARY NAMES ${ARGN})
  if(NOT ${var}_INCLUDE_DIR OR NOT ${var}_LIBRARY)
    message(FATAL_ERROR "acquire-zarr needs ${target} (header ${header}, library ${ARGN}); "
      "on Debian: apt-get install libblosc-dev libzstd-dev libisal-dev libyaml-dev "
      "libcurl4-openssl-dev libpugixml-dev libssl-dev")
  endif()
  add_library(${target} UNKNOWN IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION ${${var}_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${${var}_INCLUDE_DIR})
  message(STATUS "acquire-zarr: ${target} = ${${var}_LIBRARY}")
endfunction()

aqz_find_library(aqz::blosc blosc.h blosc)
aqz_find_library(aqz::zstd zstd.h zstd)
aqz_find_library(aqz::isal isa-l/crc.h isal)
# libyaml: settings documents (ZarrStreamSettings_load_from_* / _dump_to_*).
aqz_find_library(aqz::yaml yaml.h yaml)

# The S3 client (src/store/s3/): libcurl for HTTP and SigV4 signing,
# pugixml for S3's XML bodies, libcrypto (OpenSSL) for SHA-256 and MD5.
aqz_find_library(aqz::curl curl/curl.h curl libcurl)
aqz_find_library(aqz::pugixml pugixml.hpp pugixml)
aqz_find_library(aqz::crypto openssl/evp.h crypto libcrypto)

set(AQZ_DEPENDENCIES aqz::blosc aqz::zstd aqz::isal aqz::yaml
  aqz::curl aqz::pugixml aqz::crypto nlohmann_json::nlohmann_json)
