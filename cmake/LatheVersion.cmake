# Writes lathe_version.h, the version `lathe --version`, `lathe-cli --version` and every run's
# environment report (core/util/build_info.cpp). Run at every build by the lathe_version target
# (cmake/LatheInstall.cmake), as `cmake -P` with:
#   SOURCE_DIR  the source tree; OUT  the header; VERSION  the project version; APP_ID
# The commit is HEAD's (12 hex digits) with "-dirty" when the tree differs from it: a tracked file
# changed (staged or not), or a file git does not ignore is untracked (sources are globbed, so an
# untracked .cpp is built). Outside a git checkout, or without git, the commit is empty.
# The header is rewritten only when its text changes, so a build with the same commit and state
# compiles nothing; a new commit or a tree turning dirty recompiles the three files that include it.
find_package(Git QUIET)
set(commit "")
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(NOT rc EQUAL 0)
        set(commit "")
    endif()
endif()
if(commit)
    # --no-optional-locks: never take the index lock (another git command may hold it); the
    # porcelain output lists changed and untracked files, nothing when the tree is clean.
    execute_process(COMMAND "${GIT_EXECUTABLE}" --no-optional-locks status --porcelain
                    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE rc
                    OUTPUT_VARIABLE changes ERROR_QUIET)
    if(NOT rc EQUAL 0 OR NOT changes STREQUAL "")
        string(APPEND commit "-dirty")
    endif()
endif()
set(version_string "${VERSION}")
if(commit)
    string(APPEND version_string " (git ${commit})")
endif()
set(text "#pragma once
// Generated at build time by cmake/LatheVersion.cmake.
#define LATHE_VERSION \"${VERSION}\"
#define LATHE_GIT_COMMIT \"${commit}\"
#define LATHE_VERSION_STRING \"${version_string}\"
#define LATHE_APP_ID \"${APP_ID}\"
")
set(old "")
if(EXISTS "${OUT}")
    file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
    file(WRITE "${OUT}" "${text}")
endif()
