# gantry_add_module(NAME SOURCES src... [NO_INSTALL] [INSTALL_DESTINATION dir])
#
# Builds NAME.so, a loadable gantry module:
#   - hidden visibility for C and C++ (inline functions too);
#   - a version script that exports gantry_module_v1 and nothing else;
#   - --exclude-libs,ALL so static dependencies (libssl.a, libhs.a) are never
#     re-exported, -Bsymbolic-functions so internal calls bind locally;
#   - -z defs (no undefined symbols: a module reaches the host only through
#     its function table), -z now and -z relro (bound at load, not mid-request).
#     With GANTRY_SANITIZE set (ASan/UBSan builds) -z defs is left out: the
#     sanitizer runtimes resolve from the executable.
#
# Install: out of tree, NAME.so installs to lib/gantry/modules below the
# project's prefix (INSTALL_DESTINATION overrides, NO_INSTALL skips). Inside
# the gantry tree only modules under modules/ install, next to the binary's
# default modules directory; examples and test fixtures do not.
#
# Works from the gantry tree (target gantry_sdk) and from an installed SDK
# (find_package(GantrySDK) provides GantrySDK::sdk).
function(gantry_add_module name)
  cmake_parse_arguments(ARG "NO_INSTALL" "INSTALL_DESTINATION" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "gantry_add_module(${name}): SOURCES is empty")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED GANTRY_MODULE_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${GANTRY_MODULE_OUTPUT_DIR})
  endif()
  if(TARGET gantry_sdk)
    target_link_libraries(${name} PRIVATE gantry_sdk)
  elseif(TARGET GantrySDK::sdk)
    target_link_libraries(${name} PRIVATE GantrySDK::sdk)
  else()
    message(FATAL_ERROR "gantry_add_module(${name}): call find_package(GantrySDK) first")
  endif()
  # The map sits next to this file, in the tree and in an installed SDK alike.
  set(_map ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/gantry_module.map)
  target_link_options(${name} PRIVATE
    -Wl,--version-script=${_map} -Wl,--exclude-libs,ALL -Wl,-Bsymbolic-functions
    -Wl,-z,now -Wl,-z,relro)
  # -z defs conflicts with sanitizer runtimes, which resolve from the executable.
  if(NOT GANTRY_SANITIZE)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${_map})

  get_property(_in_tree GLOBAL PROPERTY GANTRY_SDK_IN_TREE)
  if(_in_tree)
    string(FIND "${CMAKE_CURRENT_SOURCE_DIR}/" "${CMAKE_SOURCE_DIR}/modules/" _pos)
    if(NOT _pos EQUAL 0)
      set(ARG_NO_INSTALL ON)
    endif()
  endif()
  if(NOT ARG_NO_INSTALL)
    if(NOT ARG_INSTALL_DESTINATION)
      set(ARG_INSTALL_DESTINATION lib/gantry/modules)
    endif()
    install(TARGETS ${name} LIBRARY DESTINATION ${ARG_INSTALL_DESTINATION})
  endif()
endfunction()
