#include "core/model/model_spec.h"

#include "core/util/join.h"

#include <algorithm>

namespace lathe::model {

Result<ModelSpec> ModelSpec::fromJson(const nlohmann::json &json,
                                      const std::vector<std::string> &archNames)
{
    if (!json.is_object())
        return fail(ErrorCode::InvalidArgument, "expected an object like {\"arch\": \"cnn\"}",
                    "model");
    static const std::vector<std::string> keys{"arch", "widths", "dropout"};
    ModelSpec spec;
    for (const auto &[key, value] : json.items()) {
        const std::string where = "model." + key;
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
            return fail(ErrorCode::InvalidArgument,
                        "unknown key; valid keys are: " + util::join(keys), where);
        if (key == "arch") {
            const auto &names = archNames;
            if (!value.is_string()
                || std::find(names.begin(), names.end(), value.get<std::string>()) == names.end())
                return fail(ErrorCode::InvalidArgument,
                            "value " + value.dump() + " is not one of: " + util::join(names),
                            where);
            spec.arch = value.get<std::string>();
        } else if (key == "widths") {
            if (!value.is_array())
                return fail(ErrorCode::InvalidArgument,
                            "value " + value.dump() + " must be a list of positive integers",
                            where);
            spec.widths.clear();
            for (const auto &w : value) {
                if (!w.is_number_integer() || w.get<std::int64_t>() < 1
                    || w.get<std::int64_t>() > 4096)
                    return fail(ErrorCode::InvalidArgument,
                                "value " + w.dump() + " must be an integer in [1, 4096]", where);
                spec.widths.push_back(w.get<std::int64_t>());
            }
        } else if (key == "dropout") {
            if (!value.is_number() || value.get<double>() < 0.0 || value.get<double>() >= 1.0)
                return fail(ErrorCode::InvalidArgument,
                            "value " + value.dump() + " must be a number in [0, 1)", where);
            spec.dropout = value.get<double>();
        }
    }
    return spec;
}

nlohmann::json ModelSpec::toJson() const
{
    return {{"arch", arch}, {"widths", widths}, {"dropout", dropout}};
}

} // namespace lathe::model
