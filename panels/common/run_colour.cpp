#include "panels/common/run_colour.h"

#include <array>

namespace lathe::panels {

namespace {

// Tableau 10: qualitative, readable on light and dark backgrounds.
constexpr std::array<QRgb, 10> kPalette{0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f,
                                        0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac};

} // namespace

QColor runColour(qint64 runId)
{
    const auto index = quint64(runId > 0 ? runId - 1 : 0);
    const QColor base(kPalette[index % kPalette.size()]);
    switch (index / kPalette.size() % 3) {
    case 1: return base.darker(140);
    case 2: return base.lighter(130);
    default: return base;
    }
}

QColor faded(QColor colour, int alpha)
{
    colour.setAlpha(alpha);
    return colour;
}

} // namespace lathe::panels
