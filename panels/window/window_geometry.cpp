#include "panels/window/window_geometry.h"

#include <algorithm>

namespace lathe::panels {

QRect fittedGeometry(const QRect &available, const QRect &saved, const QSize &minimum)
{
    if (saved.isValid() && available.contains(saved) && saved.width() >= minimum.width()
        && saved.height() >= minimum.height())
        return saved;
    const auto share = [](int length, int least, int most) {
        return std::min(most, std::max(least, int(length * kDefaultScreenShare)));
    };
    QRect fitted(QPoint(), QSize(share(available.width(), minimum.width(), available.width()),
                                 share(available.height(), minimum.height(), available.height())));
    fitted.moveCenter(available.center());
    return fitted;
}

} // namespace lathe::panels
