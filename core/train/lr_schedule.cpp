#include "core/train/lr_schedule.h"

#include "core/plugin/registry.h"
#include "core/train/config_validation.h"
#include "core/train/run_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace lathe::train {

std::vector<std::string> scheduleTypeNames()
{
    return plugin::registry().names(plugin::Kind::Schedule);
}

namespace {

std::int64_t toSteps(double epochs, std::int64_t stepsPerEpoch)
{
    return std::max<std::int64_t>(0, std::llround(epochs * double(stepsPerEpoch)));
}

} // namespace

LrSchedule::LrSchedule(const ScheduleConfig &config, double baseLr, std::int64_t stepsPerEpoch,
                       std::int64_t totalSteps)
    : m_baseLr(std::isfinite(baseLr) ? std::max(0.0, baseLr) : 0.0)
    , m_stepsPerEpoch(std::max<std::int64_t>(1, stepsPerEpoch))
    , m_totalSteps(std::max<std::int64_t>(1, totalSteps))
    , m_gamma(config.gamma)
    , m_warmupSteps(toSteps(config.warmupEpochs, m_stepsPerEpoch))
    , m_minLr(config.minLr)
    , m_pctStart(config.pctStart)
    , m_divFactor(config.divFactor)
    , m_finalDivFactor(config.finalDivFactor)
{
    static const std::pair<const char *, Kind> kKinds[]{
        {"step", Kind::Step},
        {"multistep", Kind::MultiStep},
        {"exponential", Kind::Exponential},
        {"cosine", Kind::Cosine},
        {"warmup-cosine", Kind::WarmupCosine},
        {"one-cycle", Kind::OneCycle},
    };
    for (const auto &[name, kind] : kKinds) {
        if (config.type == name)
            m_kind = kind;
    }
    m_stepSize = std::max<std::int64_t>(1, toSteps(config.stepEpochs, m_stepsPerEpoch));
    for (double epoch : config.milestones)
        m_milestones.push_back(toSteps(epoch, m_stepsPerEpoch));
    std::sort(m_milestones.begin(), m_milestones.end());
}

Result<LrSchedule> LrSchedule::create(const ScheduleConfig &config, double baseLr,
                                      std::int64_t stepsPerEpoch, std::int64_t totalSteps)
{
    LrSchedule schedule(config, baseLr, stepsPerEpoch, totalSteps);
    if (auto error = schedule.resolvePlugin(config); !error.empty())
        return fail(ErrorCode::InvalidArgument, error, "schedule.type");
    return schedule;
}

std::string LrSchedule::resolvePlugin(const ScheduleConfig &config)
{
    const auto entry = plugin::registry().schedule(config.type);
    if (!entry)
        return plugin::registry()
            .unknownName(plugin::Kind::Schedule, config.type, "schedule.type")
            .message;
    if (!entry->factory)
        return {}; // a built-in: computed by lrAt()
    const std::string what = "schedule \"" + entry->name + "\" (plugin " + entry->source + ")";
    const sdk::ScheduleArgs args{m_baseLr,     m_stepsPerEpoch,     m_totalSteps, config.stepEpochs,
                                 config.gamma, config.warmupEpochs, config.minLr};
    try {
        const sdk::ScheduleFunction rate = entry->factory(args);
        if (!rate)
            return what + " gave no function";
        m_table.resize(std::size_t(m_totalSteps));
        for (std::int64_t s = 0; s < m_totalSteps; ++s) {
            const double lr = rate(s);
            if (!std::isfinite(lr) || lr < 0.0) {
                m_table.clear();
                return what + " gave the rate " + std::to_string(lr) + " at step "
                       + std::to_string(s) + " (expected a finite rate >= 0)";
            }
            m_table[std::size_t(s)] = lr;
        }
        m_kind = Kind::Plugin;
        return {};
    } catch (const std::exception &e) {
        m_table.clear();
        return what + " failed: " + e.what();
    } catch (...) {
        m_table.clear();
        return what + " failed with a non-standard exception";
    }
}

double LrSchedule::lrAt(std::int64_t step) const
{
    const std::int64_t s = std::max<std::int64_t>(0, step);
    double lr = m_baseLr;
    switch (m_kind) {
    case Kind::Constant: break;
    case Kind::Plugin: lr = m_table[std::size_t(std::min(s, m_totalSteps - 1))]; break;
    case Kind::Step: lr = m_baseLr * std::pow(m_gamma, double(s / m_stepSize)); break;
    case Kind::MultiStep: {
        const auto passed
            = std::upper_bound(m_milestones.begin(), m_milestones.end(), s) - m_milestones.begin();
        lr = m_baseLr * std::pow(m_gamma, double(passed));
        break;
    }
    case Kind::Exponential:
        lr = m_baseLr * std::pow(m_gamma, double(s) / double(m_stepsPerEpoch));
        break;
    case Kind::Cosine:
        lr = cosineBetween(m_baseLr, m_minLr, double(s) / double(m_totalSteps));
        break;
    case Kind::WarmupCosine: lr = warmupCosineAt(s); break;
    case Kind::OneCycle: lr = oneCycleAt(double(s)); break;
    }
    return std::isnan(lr) || lr < 0.0 ? 0.0 : lr;
}

double LrSchedule::cosineBetween(double from, double to, double fraction) const
{
    const double f = std::clamp(fraction, 0.0, 1.0);
    return to + (from - to) * (1.0 + std::cos(std::numbers::pi * f)) / 2.0;
}

double LrSchedule::warmupCosineAt(std::int64_t step) const
{
    // One line from base/(W+1) at step 0 to exactly base at step W, then the cosine.
    if (step < m_warmupSteps)
        return m_baseLr * double(step + 1) / double(m_warmupSteps + 1);
    const double length = double(std::max<std::int64_t>(1, m_totalSteps - m_warmupSteps));
    return cosineBetween(m_baseLr, m_minLr, double(step - m_warmupSteps) / length);
}

double LrSchedule::oneCycleAt(double step) const
{
    // torch.optim.lr_scheduler.OneCycleLR, three_phase=False, anneal_strategy="cos".
    const double initial = m_baseLr / m_divFactor;
    const double final = initial / m_finalDivFactor;
    const double peakStep = m_pctStart * double(m_totalSteps) - 1.0;
    const double lastStep = double(m_totalSteps) - 1.0;
    if (step <= peakStep)
        return cosineBetween(initial, m_baseLr, peakStep > 0.0 ? step / peakStep : 1.0);
    const double length = lastStep - peakStep;
    return cosineBetween(m_baseLr, final, length > 0.0 ? (step - peakStep) / length : 1.0);
}

std::vector<std::int64_t> LrSchedule::previewSteps(std::int64_t points) const
{
    std::vector<std::int64_t> steps;
    if (points <= 0)
        return steps;
    steps.reserve(std::size_t(points));
    const double last = double(m_totalSteps - 1);
    for (std::int64_t i = 0; i < points; ++i)
        steps.push_back(points == 1 ? 0 : std::llround(double(i) * last / double(points - 1)));
    return steps;
}

std::vector<double> LrSchedule::preview(std::int64_t points) const
{
    std::vector<double> rates;
    for (std::int64_t step : previewSteps(points))
        rates.push_back(lrAt(step));
    return rates;
}

PlateauTracker::PlateauTracker(const ScheduleConfig &config)
    : m_factor(config.plateauFactor)
    , m_patience(config.plateauPatience)
    , m_threshold(config.plateauThreshold)
    , m_cooldown(config.plateauCooldown)
    , m_best(std::numeric_limits<double>::infinity())
{
}

bool PlateauTracker::update(double valLoss)
{
    // PyTorch ReduceLROnPlateau.step(): mode "min", threshold_mode "rel".
    if (valLoss < m_best * (1.0 - m_threshold)) {
        m_best = valLoss;
        m_badEpochs = 0;
    } else {
        ++m_badEpochs;
    }
    if (m_cooldownLeft > 0) {
        --m_cooldownLeft;
        m_badEpochs = 0;
    }
    if (m_badEpochs <= m_patience)
        return false;
    m_scale *= m_factor;
    m_cooldownLeft = m_cooldown;
    m_badEpochs = 0;
    return true;
}

nlohmann::json PlateauTracker::state() const
{
    // JSON has no infinity: "best" is null until the first update.
    return {{"best", std::isfinite(m_best) ? nlohmann::json(m_best) : nlohmann::json()},
            {"bad_epochs", m_badEpochs},
            {"cooldown_left", m_cooldownLeft},
            {"scale", m_scale}};
}

Result<void> PlateauTracker::restore(const nlohmann::json &state)
{
    using namespace detail;
    static const std::vector<std::string> keys{"best", "bad_epochs", "cooldown_left", "scale"};
    const std::string section = "plateau_state";
    if (auto ok = checkObject(state, section, keys); !ok)
        return ok;
    if (state.empty()) {
        m_best = std::numeric_limits<double>::infinity();
        m_badEpochs = m_cooldownLeft = 0;
        m_scale = 1.0;
        return {};
    }
    for (const auto &key : keys) {
        if (!state.contains(key))
            return fail(ErrorCode::InvalidArgument, "missing key \"" + key + "\"", section);
    }
    const NumberRule any{};
    const NumberRule count{.lo = 0};
    const NumberRule positive{.lo = 0, .loOpen = true};
    const auto &bestValue = state.at("best");
    auto best = bestValue.is_null() ? Result<double>(std::numeric_limits<double>::infinity())
                                    : readNumber(bestValue, section + ".best", any);
    auto bad = readInteger(state.at("bad_epochs"), section + ".bad_epochs", count);
    auto cooldown = readInteger(state.at("cooldown_left"), section + ".cooldown_left", count);
    auto scale = readNumber(state.at("scale"), section + ".scale", positive);
    for (const Error *error :
         {best ? nullptr : &best.error(), bad ? nullptr : &bad.error(),
          cooldown ? nullptr : &cooldown.error(), scale ? nullptr : &scale.error()}) {
        if (error)
            return std::unexpected(*error);
    }
    m_best = *best;
    m_badEpochs = *bad;
    m_cooldownLeft = *cooldown;
    m_scale = *scale;
    return {};
}

} // namespace lathe::train
