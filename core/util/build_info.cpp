#include "core/util/build_info.h"

#include <lathe_version.h>

namespace lathe::util {

std::string latheVersion()
{
    return LATHE_VERSION;
}

std::string latheCommit()
{
    return LATHE_GIT_COMMIT;
}

std::string latheVersionString()
{
    return LATHE_VERSION_STRING;
}

std::string latheAppId()
{
    return LATHE_APP_ID;
}

} // namespace lathe::util
