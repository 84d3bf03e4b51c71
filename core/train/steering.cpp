#include "core/train/steering.h"

#include "core/train/config_validation.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace lathe::train {

namespace {

using nlohmann::json;
using namespace detail;

const std::vector<std::string> &pointKeys()
{
    static const std::vector<std::string> keys{"step", "lr_scale", "weight_decay",
                                               "augment_strength"};
    return keys;
}

Result<SteerPoint> readPoint(const json &value, const std::string &where)
{
    if (auto ok = checkObject(value, where, pointKeys()); !ok)
        return std::unexpected(ok.error());
    SteerPoint point;
    for (const auto &[key, item] : value.items()) {
        const std::string at = where + "." + key;
        if (key == "step") {
            auto step = readInteger(item, at, {0, 1e15});
            if (!step)
                return std::unexpected(step.error());
            point.step = *step;
            continue;
        }
        if (std::find(pointKeys().begin(), pointKeys().end(), key) == pointKeys().end())
            return std::unexpected(unknownKeyError(key, where, pointKeys()));
        const NumberRule rule = key == "lr_scale"       ? NumberRule{0, 100, true, false}
                                : key == "weight_decay" ? NumberRule{0, 10}
                                                        : NumberRule{0, 4};
        auto number = readNumber(item, at, rule);
        if (!number)
            return std::unexpected(number.error());
        (key == "lr_scale"       ? point.lrScale
         : key == "weight_decay" ? point.weightDecay
                                 : point.augmentStrength)
            = *number;
    }
    return point;
}

} // namespace

Result<std::vector<SteerPoint>> steeringFromJson(const json &value)
{
    if (!value.is_array())
        return fail(ErrorCode::InvalidArgument,
                    "expected a list of {step, lr_scale, weight_decay, augment_strength}, got "
                        + showValue(value),
                    "steering");
    std::vector<SteerPoint> points;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string where = "steering[" + std::to_string(i) + "]";
        auto point = readPoint(value[i], where);
        if (!point)
            return std::unexpected(point.error());
        if (!points.empty() && point->step <= points.back().step)
            return fail(ErrorCode::InvalidArgument,
                        "steps must be strictly ascending (" + std::to_string(point->step)
                            + " follows " + std::to_string(points.back().step) + ")",
                        where + ".step");
        points.push_back(*point);
    }
    return points;
}

json steeringToJson(const std::vector<SteerPoint> &points)
{
    json out = json::array();
    for (const auto &p : points)
        out.push_back({{"step", p.step},
                       {"lr_scale", p.lrScale},
                       {"weight_decay", p.weightDecay},
                       {"augment_strength", p.augmentStrength}});
    return out;
}

const SteerPoint *steerPointAt(const std::vector<SteerPoint> &points, std::int64_t step)
{
    auto after = std::upper_bound(points.begin(), points.end(), step,
                                  [](std::int64_t s, const SteerPoint &p) { return s < p.step; });
    return after == points.begin() ? nullptr : &*(after - 1);
}

data::AugmentConfig scaledAugment(const data::AugmentConfig &config, double strength)
{
    if (strength == 1.0)
        return config;
    data::AugmentConfig out = config;
    out.cropPadding = std::clamp<std::int64_t>(std::llround(double(config.cropPadding) * strength),
                                               0, 16);
    out.hflipProb = std::clamp(config.hflipProb * strength, 0.0, 1.0);
    out.rotateDeg = std::clamp(config.rotateDeg * strength, 0.0, 180.0);
    out.translateFrac = std::clamp(config.translateFrac * strength, 0.0, 0.5);
    out.eraseProb = std::clamp(config.eraseProb * strength, 0.0, 1.0);
    return out;
}

} // namespace lathe::train
