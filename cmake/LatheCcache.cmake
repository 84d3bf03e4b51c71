# Use ccache when present. The sloppiness settings let ccache cache translation units that
# use the precompiled torch header.
find_program(LATHE_CCACHE ccache)
if(LATHE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
    set(CMAKE_CXX_COMPILER_LAUNCHER
        ${CMAKE_COMMAND} -E env
        "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
        ${LATHE_CCACHE})
    set(CMAKE_C_COMPILER_LAUNCHER ${LATHE_CCACHE})
    message(STATUS "ccache: ${LATHE_CCACHE}")
endif()
