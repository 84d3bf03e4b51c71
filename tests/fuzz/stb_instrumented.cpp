// stb_image and stb_image_resize for the image_folder fuzzer only (LATHE_FUZZ): the headers
// Debian's libstb is built from, compiled here so that the decoders are instrumented (sanitizers,
// coverage) like Lathe's own code. The executable's definitions take precedence over the shared
// library's.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
