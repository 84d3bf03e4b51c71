#include "panels/common/ema.h"

#include <algorithm>
#include <cmath>

namespace lathe::panels {

void appendEma(std::span<const track::SeriesPoint> in, double weight, EmaState &state,
               std::vector<track::SeriesPoint> &out)
{
    const double w = std::clamp(weight, 0.0, 0.999);
    out.reserve(out.size() + in.size());
    if (w == 0) {
        out.insert(out.end(), in.begin(), in.end());
        return;
    }
    double ema = state.ema;
    double decayed = state.decayed;
    for (const auto &p : in) {
        if (!std::isfinite(p.y)) {
            out.push_back(p);
            continue;
        }
        ema = w * ema + (1 - w) * p.y;
        // Below 1e-20, 1 - decayed is exactly 1: stop there, since w^t would otherwise sink
        // into the subnormals and (for most w) stay at the smallest one, 20x slower a step.
        decayed = decayed < 1e-20 ? 0.0 : decayed * w;
        out.push_back({p.x, ema / (1 - decayed)});
    }
    state.ema = ema;
    state.decayed = decayed;
}

std::vector<track::SeriesPoint> smoothEma(std::span<const track::SeriesPoint> in, double weight)
{
    std::vector<track::SeriesPoint> out;
    EmaState state;
    appendEma(in, weight, state, out);
    return out;
}

} // namespace lathe::panels
