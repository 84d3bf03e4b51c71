# Shared target conventions for Lathe.

# Qt's `slots`/`signals` macros break LibTorch's headers: every target uses the Q_ forms.
add_compile_definitions(QT_NO_KEYWORDS)
# Qt requires position-independent code; one flag everywhere keeps the shared PCH valid.
add_compile_options(-fPIC)

# lld links a test executable (LibTorch, Qt, debug info) in ~1.5 s where GNU ld takes ~10-25 s;
# with 80-odd executables that is most of a fresh build's link time.
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld LATHE_HAS_LLD)
if(LATHE_HAS_LLD)
    add_link_options($<$<LINK_LANGUAGE:CXX>:-fuse-ld=lld>)
endif()

function(lathe_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Winvalid-pch)
endfunction()

# One precompiled torch header, built once and reused by every target that sees LibTorch.
# `options` are compile options of its own (a target reusing it must compile with the same).
function(lathe_torch_pch_target name)
    add_library(${name} OBJECT ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cpp)
    target_link_libraries(${name} PUBLIC ${TORCH_LIBRARIES})
    target_compile_options(${name} PRIVATE -Wall -Wextra -Winvalid-pch ${ARGN})
    target_precompile_headers(${name} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/torch_pch.h)
endfunction()
lathe_torch_pch_target(lathe_torch_pch)

# Whether `file` or a project header it includes ("..." includes, followed through the tree)
# includes LibTorch (<torch/...>, <ATen/...>, <c10/...>): a source that uses LibTorch includes it,
# since the precompiled header is only a speed-up. (Scanning for names instead, `at::` and `c10`,
# put 39 sources in torch batches for `SourceFormat::MLflow` or a comment naming
# at::show_config(), and with them two torch batches that held no torch code at all.)
# Answers are kept per file for the whole configure run.
function(lathe_mentions_torch file out)
    get_property(known GLOBAL PROPERTY "lathe_torch_scan:${file}" SET)
    if(known)
        get_property(answer GLOBAL PROPERTY "lathe_torch_scan:${file}")
        set(${out} ${answer} PARENT_SCOPE)
        return()
    endif()
    set_property(GLOBAL PROPERTY "lathe_torch_scan:${file}" OFF) # an include cycle ends here
    set(answer OFF)
    if(EXISTS ${file})
        file(STRINGS ${file} mentions REGEX "^[ \t]*#[ \t]*include[ \t]*<(torch|ATen|c10)/"
             LIMIT_COUNT 1)
        if(mentions)
            set(answer ON)
        else()
            file(STRINGS ${file} includes REGEX "^#include \"[^\"]+\"")
            get_filename_component(dir ${file} DIRECTORY)
            foreach(line IN LISTS includes)
                string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" header "${line}")
                foreach(candidate ${dir}/${header} ${PROJECT_SOURCE_DIR}/${header})
                    if(EXISTS ${candidate})
                        lathe_mentions_torch(${candidate} nested)
                        if(nested)
                            set(answer ON)
                            break()
                        endif()
                    endif()
                endforeach()
                if(answer)
                    break()
                endif()
            endforeach()
        endif()
    endif()
    set_property(GLOBAL PROPERTY "lathe_torch_scan:${file}" ${answer})
    set(${out} ${answer} PARENT_SCOPE)
endfunction()

# Unity builds (LATHE_UNITY, on by default): a target's sources compile in batches of
# LATHE_UNITY_BATCH, each batch one translation unit. Every source that sees LibTorch pays ~6 s
# before its own first line: GCC redoes the deferred instantiations of LibTorch's inline
# templates in every translation unit, and the precompiled header does not keep them. A batch
# pays it once, and the torch code its sources share is compiled once. core/train's 28 sources
# took 444 s at -j2 one by one and 52 s as one unit. Sources that see torch and sources that do
# not go into separate batches, so the plain ones still skip the header. A Qt source's batch
# pays a fixed cost too (~5 s of Qt's headers), so batches are large: up to 24 sources. A
# smaller LATHE_UNITY_BATCH rebuilds an edited file's batch sooner, and -DLATHE_UNITY=OFF
# compiles one source at a time.
option(LATHE_UNITY "Compile each target's sources in batches (unity build)" ON)
set(LATHE_UNITY_BATCH 24 CACHE STRING "Most sources in one unity batch (LATHE_UNITY)")

# Assigns `sources` of `target` to unity groups `<prefix>_1`, `<prefix>_2`, ...: as few as
# batches of at most LATHE_UNITY_BATCH sources allow, of even sizes (a last batch of a few
# sources would pay the whole fixed cost for them). With `skip_pch`, the batch files CMake
# writes for them skip the torch header too.
function(lathe_unity_groups target prefix skip_pch)
    get_target_property(binary_dir ${target} BINARY_DIR)
    list(LENGTH ARGN count)
    math(EXPR batches "(${count} + ${LATHE_UNITY_BATCH} - 1) / ${LATHE_UNITY_BATCH}")
    set(index 0)
    foreach(source IN LISTS ARGN)
        math(EXPR group "${index} * ${batches} / ${count} + 1")
        set_source_files_properties(${source} TARGET_DIRECTORY ${target}
            PROPERTIES UNITY_GROUP ${prefix}_${group})
        if(skip_pch)
            set_source_files_properties(
                ${binary_dir}/CMakeFiles/${target}.dir/Unity/unity_${prefix}_${group}_cxx.cxx
                TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
        endif()
        math(EXPR index "${index} + 1")
    endforeach()
endfunction()

# Links LibTorch into `target` and reuses the shared precompiled header for its sources that
# see torch, themselves or through a project header (parsing LibTorch without the header costs
# 15-30 s a file). Sources that never see torch skip the header (they compile correctly either
# way: the header is only a speed-up). With LATHE_UNITY, both kinds are batched apart.
# A second argument names another header target to reuse (the tests' -O0 one).
function(lathe_use_torch target)
    set(pch lathe_torch_pch)
    if(ARGC GREATER 1)
        set(pch ${ARGV1})
    endif()
    target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
    target_precompile_headers(${target} REUSE_FROM ${pch})
    get_target_property(sources ${target} SOURCES)
    get_target_property(source_dir ${target} SOURCE_DIR)
    set(torch_sources "")
    set(plain_sources "")
    foreach(source IN LISTS sources)
        if(NOT source MATCHES "\\.(cpp|cc|cxx)$")
            continue()
        endif()
        if(NOT IS_ABSOLUTE ${source})
            set(source ${source_dir}/${source})
        endif()
        # A generated source names the file that decides for it (lathe_moc_headers).
        get_source_file_property(scan ${source} TARGET_DIRECTORY ${target} LATHE_SCAN_FILE)
        if(NOT scan)
            set(scan ${source})
        endif()
        # The generated version header changes with every commit: a source that includes it
        # compiles alone, not with the batch around it.
        file(STRINGS ${scan} versioned REGEX "#include .lathe_version.h." LIMIT_COUNT 1)
        lathe_mentions_torch(${scan} sees_torch)
        if(versioned)
            set_source_files_properties(${source} TARGET_DIRECTORY ${target}
                PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
        elseif(sees_torch)
            list(APPEND torch_sources ${source})
        else()
            list(APPEND plain_sources ${source})
        endif()
        if(NOT sees_torch)
            set_source_files_properties(${source} TARGET_DIRECTORY ${target}
                PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
        endif()
    endforeach()
    if(LATHE_UNITY)
        set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE GROUP)
        lathe_unity_groups(${target} torch OFF ${torch_sources})
        lathe_unity_groups(${target} plain ON ${plain_sources})
    endif()
endfunction()

# Runs moc over `input` into `output` with the definitions of `target` and the project's own
# headers, and adds `output` to the target. Qt's AUTOMOC hands moc every include path, and moc
# then reads each LibTorch header a Qt class sees through core (~3 s a file) to find nothing it
# needs; it does need the project's headers (a signal's argument type declared a metatype there).
# The output is the same as AUTOMOC's.
function(lathe_run_moc target input output)
    add_custom_command(OUTPUT ${output}
        COMMAND Qt6::moc "-D$<JOIN:$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>,;-D>"
                -I${PROJECT_SOURCE_DIR} ${input} -o ${output}
        DEPENDS ${input} Qt6::moc
        COMMENT "moc ${input}"
        COMMAND_EXPAND_LISTS VERBATIM)
    target_sources(${target} PRIVATE ${output})
endfunction()

# moc for every header under the folder of `target` that declares a Q_OBJECT or Q_GADGET, in
# place of AUTOMOC (see lathe_run_moc). Call it before lathe_use_torch, which batches each output
# by what its header sees.
function(lathe_moc_headers target)
    get_target_property(source_dir ${target} SOURCE_DIR)
    get_target_property(binary_dir ${target} BINARY_DIR)
    file(GLOB_RECURSE headers CONFIGURE_DEPENDS ${source_dir}/*.h)
    foreach(header IN LISTS headers)
        file(STRINGS ${header} declares REGEX "^[ \t]*Q_(OBJECT|GADGET)" LIMIT_COUNT 1)
        if(NOT declares)
            continue()
        endif()
        file(RELATIVE_PATH name ${source_dir} ${header})
        string(REGEX REPLACE "[/.]" "_" name ${name})
        set(output ${binary_dir}/moc/moc_${name}.cpp)
        lathe_run_moc(${target} ${header} ${output})
        set_source_files_properties(${output} TARGET_DIRECTORY ${target}
            PROPERTIES LATHE_SCAN_FILE ${header})
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
