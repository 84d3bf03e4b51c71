# find_package(LatheSDK): build a plugin against an installed Lathe.
#
#   find_package(LatheSDK REQUIRED)
#   lathe_sdk_add_plugin(my-plugin plugin.cpp)   # a module my-plugin.so, built against the SDK
#   target_link_libraries(my-plugin PRIVATE ${TORCH_LIBRARIES})   # only if it uses LibTorch
#
# Lathe::SDK is the SDK alone (plugin.h, dataset.h; header-only, C++20): a plugin sees nothing
# else of Lathe. LatheSDK_PLUGIN_DIR is the folder of the plugins installed with this Lathe;
# Lathe also loads $LATHE_PLUGIN_PATH, ~/.local/share/lathe/plugins and --plugin-dir DIR.
# The installed layout is <prefix>/share/cmake/LatheSDK/ (this file), <prefix>/include/lathe/.
get_filename_component(_lathe_sdk_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET Lathe::SDK)
    add_library(Lathe::SDK INTERFACE IMPORTED)
    set_target_properties(Lathe::SDK PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${_lathe_sdk_prefix}/include"
        INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
set(LatheSDK_INCLUDE_DIR "${_lathe_sdk_prefix}/include")
set(LatheSDK_PLUGIN_DIR "${_lathe_sdk_prefix}/lib/lathe/plugins")
unset(_lathe_sdk_prefix)

# A plugin module `name` from the sources after it: a shared module named `name`.so (no "lib"
# prefix: Lathe loads every *.so in its plugin folders), linked to Lathe::SDK.
function(lathe_sdk_add_plugin name)
    add_library(${name} MODULE ${ARGN})
    target_link_libraries(${name} PRIVATE Lathe::SDK)
    set_target_properties(${name} PROPERTIES PREFIX "")
endfunction()
