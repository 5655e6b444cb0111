# gantry_add_module(NAME SOURCES src...)
# Builds a loadable gantry module: hidden visibility, only the entry symbol
# exported (version script), no undefined symbols (-z defs), bound at load
# (-z now), static dependencies never re-exported.
set(_GANTRY_MODULE_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

function(gantry_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
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
  endif()
  set(_map ${_GANTRY_MODULE_CMAKE_DIR}/gantry_module.map)
  target_link_options(${name} PRIVATE
    -Wl,--version-script=${_map} -Wl,--exclude-libs,ALL -Wl,-Bsymbolic-functions
    -Wl,-z,now -Wl,-z,relro)
  # -z defs conflicts with sanitizer runtimes, which resolve from the executable.
  if(NOT GANTRY_SANITIZE)
    target_link_options(${name} PRIVATE -Wl,-z,defs)
  endif()
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${_map})
endfunction()
