# Shared target conventions for Lathe.

# Qt's `slots`/`signals` macros break LibTorch's headers: every target uses the Q_ forms.
add_compile_definitions(QT_NO_KEYWORDS)
# Qt requires position-independent code; one flag everywhere keeps the shared PCH valid.
add_compile_options(-fPIC)

function(lathe_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Winvalid-pch)
endfunction()

# One precompiled torch header, built once and reused by every target that sees LibTorch.
add_library(lathe_torch_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
target_link_libraries(lathe_torch_pch PUBLIC ${TORCH_LIBRARIES})
target_compile_options(lathe_torch_pch PRIVATE -Wall -Wextra -Winvalid-pch)
target_precompile_headers(lathe_torch_pch PRIVATE ${PROJECT_SOURCE_DIR}/cmake/torch_pch.h)

# Links LibTorch into `target` and reuses the shared precompiled header for its sources that
# mention torch. Loading the 800 MB header costs ~5 s, so sources that never name torch skip it
# (they compile correctly either way: the header is only a speed-up).
function(lathe_use_torch target)
    target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
    target_precompile_headers(${target} REUSE_FROM lathe_torch_pch)
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    foreach(source IN LISTS sources)
        if(NOT IS_ABSOLUTE ${source})
            set(source ${source_dir}/${source})
        endif()
        set(mentions "")
        if(EXISTS ${source})
            file(STRINGS ${source} mentions REGEX "torch/|torch::|at::|c10|ATen" LIMIT_COUNT 1)
        endif()
        if(NOT mentions)
            set_source_files_properties(${source} TARGET_DIRECTORY ${target}
                PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
        endif()
    endforeach()
endfunction()

# A static library for one core module: every .cpp in core/<module>/.
function(lathe_core_module module)
    cmake_parse_arguments(ARG "" "" "DEPENDS;LIBS" ${ARGN})
    file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${module}/*.cpp)
    if(NOT sources)
        return()
    endif()
    add_library(lathe_${module} STATIC ${sources})
    target_include_directories(lathe_${module} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(lathe_${module} PUBLIC ${ARG_DEPENDS} ${ARG_LIBS})
    set_target_properties(lathe_${module} PROPERTIES POSITION_INDEPENDENT_CODE ON)
    lathe_use_torch(lathe_${module})
    lathe_warnings(lathe_${module})
endfunction()

# Fails the configure step if `target` (or anything it links) pulls in Qt: core stays Qt-free.
function(lathe_forbid_qt target)
    set(pending ${target})
    set(seen "")
    while(pending)
        list(POP_FRONT pending current)
        if(current IN_LIST seen OR NOT TARGET ${current})
            continue()
        endif()
        list(APPEND seen ${current})
        get_target_property(libs ${current} LINK_LIBRARIES)
        get_target_property(ilibs ${current} INTERFACE_LINK_LIBRARIES)
        foreach(lib IN LISTS libs ilibs)
            if(lib MATCHES "Qt[0-9]*::|^Qt[0-9]")
                message(FATAL_ERROR "${target} must not link Qt, but ${current} links ${lib}")
            endif()
            if(TARGET ${lib})
                list(APPEND pending ${lib})
            endif()
        endforeach()
    endwhile()
endfunction()
