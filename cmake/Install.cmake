# Install rules: the two public headers, libacquire_zarr (shared and static),
# the CMake package `acquire-zarr` and `acquire-zarr.pc` for pkg-config.
#
#   find_package(acquire-zarr)                      -> acquire-zarr::acquire-zarr
#   find_package(acquire-zarr COMPONENTS static)    -> acquire-zarr::acquire-zarr-static
#   pkg-config --cflags --libs acquire-zarr         (add --static for the archive)
#
# Included by the top-level CMakeLists.txt after the library targets exist.
# The Python wheel (scikit-build-core sets SKBUILD) installs only the module,
# so none of this applies there.

if(NOT SKBUILD)

include(CMakePackageConfigHelpers)

set(AQZ_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/acquire-zarr"
  CACHE STRING "Where the acquire-zarr CMake package is installed, relative to the prefix")
set(AQZ_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  CACHE STRING "Where acquire-zarr.pc is installed, relative to the prefix")

# ---- headers and libraries ---------------------------------------------------

install(FILES
  ${PROJECT_SOURCE_DIR}/include/acquire.zarr.h
  ${PROJECT_SOURCE_DIR}/include/zarr.types.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT Development)

# In the package the targets are acquire-zarr::acquire-zarr(-static), the
# same names as the in-tree ALIAS targets.
set_target_properties(acquire_zarr PROPERTIES EXPORT_NAME acquire-zarr)
set_target_properties(acquire_zarr_static PROPERTIES EXPORT_NAME acquire-zarr-static)

install(TARGETS acquire_zarr
  EXPORT acquire-zarr-targets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime
          NAMELINK_COMPONENT Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The static library gets its own export set: its link interface names the
# engine's dependencies (aqz::blosc, ...), which the package config has to
# find first, while consumers of the shared library need none of them.
install(TARGETS acquire_zarr_static
  EXPORT acquire-zarr-static-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ---- CMake package -----------------------------------------------------------

# The static library is C++ inside: a program linked by the C driver needs the
# C++ runtime named explicitly (the package config and the .pc file add it).
if(APPLE OR CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND CMAKE_CXX_FLAGS MATCHES "-stdlib=libc\\+\\+")
  set(AQZ_CXX_RUNTIME c++)
else()
  set(AQZ_CXX_RUNTIME stdc++)
endif()

install(EXPORT acquire-zarr-targets
  NAMESPACE acquire-zarr::
  FILE acquire-zarr-targets.cmake
  DESTINATION ${AQZ_INSTALL_CMAKEDIR}
  COMPONENT Development)
install(EXPORT acquire-zarr-static-targets
  NAMESPACE acquire-zarr::
  FILE acquire-zarr-static-targets.cmake
  DESTINATION ${AQZ_INSTALL_CMAKEDIR}
  COMPONENT Development)

# Where the dependencies were found at build time: the package config uses
# these only as hints, so the installed tree stays relocatable.
set(AQZ_DEPENDENCY_HINTS "")
foreach(dep aqz::blosc aqz::zstd aqz::isal aqz::yaml aqz::curl aqz::pugixml aqz::crypto)
  if(TARGET ${dep})
    get_target_property(_aqz_location ${dep} IMPORTED_LOCATION)
    get_target_property(_aqz_include ${dep} INTERFACE_INCLUDE_DIRECTORIES)
    if(_aqz_location)
      get_filename_component(_aqz_libdir "${_aqz_location}" DIRECTORY)
      get_filename_component(_aqz_root "${_aqz_libdir}" DIRECTORY)
      list(APPEND AQZ_DEPENDENCY_HINTS "${_aqz_root}")
    endif()
    if(_aqz_include)
      get_filename_component(_aqz_root "${_aqz_include}" DIRECTORY)
      list(APPEND AQZ_DEPENDENCY_HINTS "${_aqz_root}")
    endif()
  endif()
endforeach()
list(REMOVE_DUPLICATES AQZ_DEPENDENCY_HINTS)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/acquire-zarr-config.cmake.in
  ${PROJECT_BINARY_DIR}/acquire-zarr-config.cmake
  INSTALL_DESTINATION ${AQZ_INSTALL_CMAKEDIR})

# 0.x releases may break the API at a minor version, later ones at a major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_aqz_compatibility SameMinorVersion)
else()
  set(_aqz_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/acquire-zarr-config-version.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${_aqz_compatibility})

install(FILES
  ${PROJECT_BINARY_DIR}/acquire-zarr-config.cmake
  ${PROJECT_BINARY_DIR}/acquire-zarr-config-version.cmake
  DESTINATION ${AQZ_INSTALL_CMAKEDIR}
  COMPONENT Development)

# ---- pkg-config --------------------------------------------------------------

# The static library's dependencies: a pkg-config module where the system has
# one (Requires.private), a plain -l flag otherwise (Libs.private).
set(AQZ_PC_REQUIRES_PRIVATE "")
set(AQZ_PC_LIBS_PRIVATE "")
find_package(PkgConfig QUIET)
foreach(dep "blosc;blosc" "libzstd;zstd" "libisal;isal" "yaml-0.1;yaml"
    "pugixml;pugixml" "libcrypto;crypto")
  list(GET dep 0 _aqz_module)
  list(GET dep 1 _aqz_lib)
  string(MAKE_C_IDENTIFIER "AQZ_PC_${_aqz_module}" _aqz_prefix)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(${_aqz_prefix} QUIET ${_aqz_module})
  endif()
  if(${_aqz_prefix}_FOUND)
    list(APPEND AQZ_PC_REQUIRES_PRIVATE ${_aqz_module})
  else()
    list(APPEND AQZ_PC_LIBS_PRIVATE -l${_aqz_lib})
  endif()
endforeach()
# libcurl as a plain -l, never its module: `pkg-config --static libcurl`
# names every library libcurl was built with (nghttp2, ssh2, ldap, ...),
# whose -dev packages Debian's libcurl4-openssl-dev does not install; the
# shared libcurl that -lcurl finds brings them itself.
list(APPEND AQZ_PC_LIBS_PRIVATE -lcurl)
list(APPEND AQZ_PC_LIBS_PRIVATE -l${AQZ_CXX_RUNTIME} -lpthread -lm)
list(JOIN AQZ_PC_REQUIRES_PRIVATE ", " AQZ_PC_REQUIRES_PRIVATE)
list(JOIN AQZ_PC_LIBS_PRIVATE " " AQZ_PC_LIBS_PRIVATE)

# Paths in the .pc file are relative to the file itself (${pcfiledir}), so
# `cmake --install --prefix <anywhere>` and DESTDIR staging both work.
if(IS_ABSOLUTE "${AQZ_INSTALL_PKGCONFIGDIR}")
  set(AQZ_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _aqz_up "/prefix/${AQZ_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" _aqz_up "${_aqz_up}")
  set(AQZ_PC_PREFIX "\${pcfiledir}/${_aqz_up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(AQZ_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(AQZ_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()

configure_file(${CMAKE_CURRENT_LIST_DIR}/acquire-zarr.pc.in
  ${PROJECT_BINARY_DIR}/acquire-zarr.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/acquire-zarr.pc
  DESTINATION ${AQZ_INSTALL_PKGCONFIGDIR}
  COMPONENT Development)

endif() # NOT SKBUILD
