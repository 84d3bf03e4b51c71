#include "panels/common/plot_axis.h"

#include <algorithm>
#include <cmath>

namespace lathe::panels {

namespace {

double niceStep(double span, int target)
{
    const double raw = span / std::max(target, 1);
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;
    const double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
    return nice * magnitude;
}

} // namespace

std::vector<double> niceTicks(double lo, double hi, int target)
{
    std::vector<double> ticks;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo))
        return ticks;
    const double step = niceStep(hi - lo, target);
    if (!(step > 0) || !std::isfinite(step))
        return ticks;
    const double first = std::ceil(lo / step - 1e-9);
    for (double k = first; k * step <= hi + step * 1e-9 && ticks.size() < 1000; k += 1)
        ticks.push_back(std::abs(k) < 1e-9 ? 0.0 : k * step);
    return ticks;
}

std::vector<double> logTicks(double lo, double hi, int target)
{
    std::vector<double> ticks;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo))
        return ticks;
    if (hi - lo < 1) {
        // Less than a decade: nice ticks of the values themselves.
        for (double v : niceTicks(std::pow(10.0, lo), std::pow(10.0, hi), target))
            if (v > 0)
                ticks.push_back(std::log10(v));
        return ticks;
    }
    const int decades = int(std::ceil(hi) - std::floor(lo));
    const int every = std::max(1, int(std::ceil(double(decades) / std::max(target, 1))));
    const bool withMinor = decades * 3 <= target;
    for (int d = int(std::floor(lo)); d <= int(std::ceil(hi)); ++d) {
        if (d % every != 0)
            continue;
        for (double m : {1.0, 2.0, 5.0}) {
            if (m > 1 && !withMinor)
                break;
            const double t = d + std::log10(m);
            if (t >= lo - 1e-9 && t <= hi + 1e-9)
                ticks.push_back(t);
        }
    }
    return ticks;
}

QString formatTick(double value, double step)
{
    if (!std::isfinite(value))
        return QString::number(value);
    const double a = std::abs(value);
    if (a == 0)
        return QStringLiteral("0");
    if (a >= 1e6 || a < 1e-4)
        return QString::number(value, 'g', 3);
    if (a >= 1e4 && (step == 0 || step >= 100))
        return QString::number(value / 1000.0, 'g', 4) + QLatin1Char('k');
    int decimals = 0;
    if (step > 0 && step < 1)
        decimals = std::min(8, int(std::ceil(-std::log10(step) - 1e-9)));
    else if (step == 0)
        return QString::number(value, 'g', 4);
    return QString::number(value, 'f', decimals);
}

QString formatExact(double value)
{
    if (!std::isfinite(value))
        return QString::number(value);
    if (value == std::round(value) && std::abs(value) < 1e15)
        return QString::number(qint64(value));
    return QString::number(value, 'g', 7);
}

} // namespace lathe::panels
