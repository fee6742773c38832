# Warnings are errors in our own code; third-party headers are included as SYSTEM.
add_compile_options(-Wall -Wextra -Werror -Wno-unused-parameter)
if(CMAKE_BUILD_TYPE STREQUAL "Release")
  # -O2 with vectorisation; no -march=native: archives must decode identically on every x86-64.
  add_compile_options(-O2 -ftree-vectorize)
endif()

# srsfs_library(NAME DIR [DEPS...]): a library of every .cpp directly in DIR. Globbing keeps parallel work
# from colliding in CMake files; CONFIGURE_DEPENDS re-globs when files are added.
function(srsfs_library name dir)
  file(GLOB _srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT _srcs)  # a part with no sources yet still links
    set(_srcs ${CMAKE_CURRENT_BINARY_DIR}/${name}_empty.cpp)
    file(WRITE ${_srcs} "")
  endif()
  add_library(${name} STATIC ${_srcs})
  target_link_libraries(${name} PUBLIC ${ARGN})
endfunction()
