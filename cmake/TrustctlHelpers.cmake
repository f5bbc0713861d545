# Shared build settings, applied per target (never globally).
add_library(trustctl_warnings INTERFACE)
target_compile_options(trustctl_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                   -Wnon-virtual-dtor -Wold-style-cast)
if(TRUSTCTL_WERROR)
  target_compile_options(trustctl_warnings INTERFACE -Werror)
endif()
if(TRUSTCTL_SANITIZE)
  target_compile_options(trustctl_warnings INTERFACE -fsanitize=${TRUSTCTL_SANITIZE}
                                                     -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(trustctl_warnings INTERFACE -fsanitize=${TRUSTCTL_SANITIZE})
endif()

# trustctl_add_module(NAME SOURCES... DEPENDS targets...)
# Builds static library trustctl_<NAME>, aliased trustctl::<NAME>, with the public headers
# in include/trustctl/<NAME>/.
function(trustctl_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  add_library(trustctl_${name} STATIC ${ARG_SOURCES})
  add_library(trustctl::${name} ALIAS trustctl_${name})
  target_compile_features(trustctl_${name} PUBLIC cxx_std_20)
  target_include_directories(trustctl_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(trustctl_${name} PUBLIC ${ARG_DEPENDS} PRIVATE trustctl_warnings)
endfunction()
