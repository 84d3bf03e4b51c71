# What `cmake --install` lays out, the version the programs report, and the Debian package
# (CPack, built by scripts/package). Included once, at the end of the top-level CMakeLists.txt,
# when every target exists. The layout is fixed relative to the prefix, because the programs
# find their files from their own location (util::installPrefix(): <prefix>/bin/lathe-cli):
#
#   bin/lathe, bin/lathe-cli
#   lib/lathe/plugins/*.so                 the sample plugins (core/plugin/loader.cpp)
#   include/lathe/{plugin,dataset}.h       the plugin SDK
#   share/cmake/LatheSDK/                  find_package(LatheSDK): Lathe::SDK, lathe_sdk_add_plugin
#   share/lathe/{configs,sweeps,onnx}      resources/ (util::resourceDir())
#   share/applications, share/icons/hicolor, share/metainfo, share/man/man1,
#   share/bash-completion/completions      packaging/
#
# lib/lathe/plugins is spelled out rather than taken from GNUInstallDirs: Debian's libdir is
# lib/<triplet>, where the loader would not look.

set(LATHE_APP_ID io.github.lathe.Lathe)
set(packaging ${PROJECT_SOURCE_DIR}/packaging)

# --- Version: `lathe --version`, `lathe-cli --version` -----------------------------------------
# The project version and the commit the build came from, "-dirty" when the tree had changes
# (cmake/LatheVersion.cmake). Decided at every build, not at configure time, by the lathe_version
# target; the header is rewritten only when its text changes (ninja's restat then spares its
# includers), so a build with nothing new compiles nothing.
set(version_dir ${PROJECT_BINARY_DIR}/generated)
add_custom_target(lathe_version
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
            -DOUT=${version_dir}/lathe_version.h -DVERSION=${PROJECT_VERSION}
            -DAPP_ID=${LATHE_APP_ID} -P ${PROJECT_SOURCE_DIR}/cmake/LatheVersion.cmake
    BYPRODUCTS ${version_dir}/lathe_version.h
    COMMENT "" VERBATIM)
add_dependencies(lathe_util lathe_version)
# Only core/util/build_info.cpp includes it (the programs ask it for their --version, runs record
# it): a new commit recompiles that one small file and relinks, it rebuilds nothing else.
set_property(SOURCE ${PROJECT_SOURCE_DIR}/core/util/build_info.cpp TARGET_DIRECTORY lathe_util
             APPEND PROPERTY INCLUDE_DIRECTORIES ${version_dir})

# --- Programs, plugins, resources -----------------------------------------------------------
install(TARGETS lathe lathe-cli RUNTIME DESTINATION bin)
install(TARGETS ${LATHE_SAMPLE_PLUGINS} LIBRARY DESTINATION lib/lathe/plugins)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/ DESTINATION share/lathe)
# The csv-tabular plugin's example config (Debian's wine data, python3-sklearn).
install(FILES ${PROJECT_SOURCE_DIR}/plugins/csv-tabular/wine.json DESTINATION share/lathe/configs)

# --- The plugin SDK and its CMake package -----------------------------------------------------
install(DIRECTORY ${PROJECT_SOURCE_DIR}/plugins/sdk/lathe DESTINATION include)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/LatheSDKConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${packaging}/cmake/LatheSDKConfig.cmake
              ${PROJECT_BINARY_DIR}/LatheSDKConfigVersion.cmake
        DESTINATION share/cmake/LatheSDK)

# --- Desktop integration, man page, completion ------------------------------------------------
install(FILES ${packaging}/${LATHE_APP_ID}.desktop DESTINATION share/applications)
install(FILES ${packaging}/${LATHE_APP_ID}.svg DESTINATION share/icons/hicolor/scalable/apps)
install(FILES ${packaging}/${LATHE_APP_ID}.metainfo.xml DESTINATION share/metainfo)
# Compressed, as Debian's policy asks of manual pages (-n: no name or time in the header, so the
# file is reproducible).
find_program(LATHE_GZIP gzip REQUIRED)
set(man_pages "")
foreach(page lathe.1 lathe-cli.1)
    set(out ${PROJECT_BINARY_DIR}/man/${page}.gz)
    add_custom_command(OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
        COMMAND ${LATHE_GZIP} -9nc ${packaging}/${page} > ${out}
        DEPENDS ${packaging}/${page} VERBATIM)
    list(APPEND man_pages ${out})
endforeach()
add_custom_target(lathe_man ALL DEPENDS ${man_pages})
install(FILES ${man_pages} DESTINATION share/man/man1)
install(FILES ${packaging}/lathe-cli.bash-completion DESTINATION share/bash-completion/completions
        RENAME lathe-cli)

# --- The Debian package (scripts/package) -----------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lathe)
set(CPACK_PACKAGE_VENDOR "Lathe")
set(LATHE_PACKAGE_MAINTAINER
    "Lathe maintainers <maintainers@users.noreply.b-seed-020dcd28.example>"
    CACHE STRING "The Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT ${LATHE_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "desktop workbench for training neural networks")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
    "Lathe trains, inspects, tracks and compares neural networks on one workstation, with "
    "LibTorch. The window (lathe) and the command line (lathe-cli) share one SQLite store of "
    "runs: configs, metrics, checkpoints, sweeps. Includes the sample plugins and the plugin "
    "SDK (find_package(LatheSDK)).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# The libraries the programs and plugins link (libtorch1.13, libqt6*6, libspdlog1.10,
# libsqlite3-0, libstb0, ...), with the versions their symbols need: dpkg-shlibdeps reads them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What is loaded at run time rather than linked: Qt's platform plugins (xcb, wayland, offscreen).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins")
# Recommended, so installed by default: the data the packaged default config trains on (the
# programs run without it, on any other dataset), and OpenBLAS's OpenMP variant, which keeps
# LibTorch's BLAS calls on its own OpenMP team rather than a second pool of threads.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "dataset-fashion-mnist, libopenblas0-openmp")
# `lathe-cli export --format onnx` checks the file in onnxruntime-node when node finds it.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nodejs")
# A build whose CUDA kernels link the shared libcudart (against a CUDA LibTorch:
# kernels/CMakeLists.txt) needs a library no Debian package provides, and dpkg-shlibdeps would
# silently leave it out: CPack refuses it. Against Debian's CPU LibTorch the kernels link the
# static CUDA runtime, which loads nothing at run time (the kernels run only with a CUDA
# LibTorch), so that tree is packaged as it is.
if(TARGET lathe_kernels_cuda)
    get_target_property(cuda_libs lathe_kernels_cuda INTERFACE_LINK_LIBRARIES)
    if("CUDA::cudart" IN_LIST cuda_libs)
        set(refuse ${PROJECT_BINARY_DIR}/refuse_cuda_package.cmake)
        file(WRITE ${refuse} "message(FATAL_ERROR \"This build links the shared CUDA runtime "
             "(libcudart), which no Debian package provides: package a build against Debian's "
             "LibTorch (its CUDA kernels link the static runtime) or one configured without CUDA "
             "(-DCMAKE_CUDA_COMPILER=OFF).\")\n")
        set(CPACK_PRE_BUILD_SCRIPTS ${refuse})
    endif()
endif()
include(CPack)

# --- The install tests (tests/install) --------------------------------------------------------
# app.install installs this tree into a temporary prefix and uses it from there (it needs the
# programs, the sample plugins and lathe_man built); app.desktop_metadata runs the validators;
# app.version_header checks cmake/LatheVersion.cmake on a scratch git repository.
if(LATHE_BUILD_TESTS AND NOT LATHE_FUZZ AND NOT LATHE_SANITIZE)
    add_test(NAME app.install
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/test_install.sh)
    set_tests_properties(app.install PROPERTIES LABELS app TIMEOUT 300
        ENVIRONMENT "BUILD_DIR=${PROJECT_BINARY_DIR};LATHE_THREADS=2;OMP_WAIT_POLICY=PASSIVE")
    add_test(NAME app.desktop_metadata
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/validate_metadata.sh)
    set_tests_properties(app.desktop_metadata PROPERTIES LABELS app)
    add_test(NAME app.version_header
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install/test_version_header.sh)
    set_tests_properties(app.version_header PROPERTIES LABELS app)
endif()
