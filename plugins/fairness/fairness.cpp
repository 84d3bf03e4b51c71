#include "fairness.h"

#include "lathe/dataset.h"

#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

namespace lathe::fairness {
namespace {

[[noreturn]] void fail(const std::string &what)
{
    throw std::runtime_error(what);
}

std::string join(const std::vector<std::string> &items)
{
    std::string text;
    for (const auto &item : items)
        text += (text.empty() ? "" : ", ") + item;
    return text;
}

/// The shortest text that reads back as `value` ("13.05", "1", "0.25").
std::string formatNumber(double value)
{
    char buffer[32];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

template<typename Number>
std::optional<Number> parse(const std::string &text)
{
    Number value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

std::int64_t resolveClass(const std::string &text, const std::vector<std::string> &classNames)
{
    const auto named = std::find(classNames.begin(), classNames.end(), text);
    if (named != classNames.end())
        return std::int64_t(named - classNames.begin());
    const auto index = parse<std::int64_t>(text);
    if (index && *index >= 0 && *index < std::int64_t(classNames.size()))
        return *index;
    fail("option positive_class \"" + text
         + "\" is neither a class name nor a class index in "
           "[0, "
         + std::to_string(classNames.size()) + "); the classes are: " + join(classNames));
}

/// One group's counts: samples, correct predictions, and per class its samples and hits.
struct GroupCounts
{
    std::string name;
    std::int64_t samples = 0;
    std::int64_t correct = 0;
    std::vector<std::int64_t> support;
    std::vector<std::int64_t> hits;
};

/// The group's true-positive rate: the positive class's recall, else the mean recall over the
/// classes present in the group. Unset when the positive class is absent.
std::optional<double> truePositiveRate(const GroupCounts &group,
                                       std::optional<std::int64_t> positive)
{
    if (positive) {
        const auto p = std::size_t(*positive);
        if (group.support[p] == 0)
            return std::nullopt;
        return double(group.hits[p]) / double(group.support[p]);
    }
    double sum = 0.0;
    int present = 0;
    for (std::size_t k = 0; k < group.support.size(); ++k) {
        if (group.support[k] > 0) {
            sum += double(group.hits[k]) / double(group.support[k]);
            ++present;
        }
    }
    return sum / double(present); // a group has a sample, so some class is present
}

/// Appends "<name>_gap": the spread of `values` (nothing when there are none).
void addGap(sdk::MetricValues &out, const char *name, const std::vector<double> &values)
{
    if (values.empty())
        return;
    const auto [low, high] = std::minmax_element(values.begin(), values.end());
    out.emplace_back(std::string(name) + "_gap", *high - *low);
}

std::vector<double> toVector(const torch::Tensor &column)
{
    const auto values = column.to(torch::kFloat64).contiguous();
    const auto *data = values.data_ptr<double>();
    return {data, data + values.numel()};
}

} // namespace

FairnessOptions parseFairnessOptions(const sdk::Options &options,
                                     const std::vector<std::string> &classNames)
{
    FairnessOptions parsed;
    for (const auto &[key, value] : options) {
        if (key == "column") {
            parsed.column = value;
        } else if (key == "threshold") {
            parsed.threshold = parse<double>(value);
            if (!parsed.threshold || !std::isfinite(*parsed.threshold))
                fail("option threshold must be a number, got \"" + value + "\"");
        } else if (key == "positive_class") {
            parsed.positiveClass = resolveClass(value, classNames);
        } else if (key != "name") {
            fail("unknown option \"" + key + "\" (it reads column, threshold, positive_class)");
        }
    }
    if (parsed.column.empty())
        fail("option column is required: the dataset attribute (column) to group samples by");
    return parsed;
}

Grouping Grouping::fromColumn(const std::string &column, std::vector<double> values,
                              std::optional<double> threshold)
{
    Grouping grouping;
    grouping.m_column = column;
    grouping.m_threshold = threshold;
    std::sort(values.begin(), values.end());
    std::size_t distinct = values.empty() ? 0 : 1;
    for (std::size_t i = 1; i < values.size(); ++i)
        distinct += values[i] != values[i - 1];
    if (!threshold && distinct > kMaxDistinct)
        grouping.m_threshold = values[(values.size() - 1) / 2];
    return grouping;
}

std::pair<double, std::string> Grouping::groupOf(double value) const
{
    if (!m_threshold)
        return {value, m_column + "=" + formatNumber(value)};
    const bool low = value <= *m_threshold;
    return {low ? 0.0 : 1.0, m_column + (low ? "<=" : ">") + formatNumber(*m_threshold)};
}

namespace {

/// The counts of each group of the evaluated samples, keyed by the grouping's order.
std::map<double, GroupCounts> countGroups(const Grouping &grouping, const torch::Tensor &values,
                                          const torch::Tensor &labels,
                                          const torch::Tensor &predicted, std::int64_t classes)
{
    const auto *value = values.data_ptr<double>();
    const auto *label = labels.data_ptr<std::int64_t>();
    const auto *guess = predicted.data_ptr<std::int64_t>();
    std::map<double, GroupCounts> groups;
    for (std::int64_t i = 0; i < labels.numel(); ++i) {
        if (std::isnan(value[i]))
            continue; // in no group
        if (label[i] < 0 || label[i] >= classes)
            fail("label " + std::to_string(label[i]) + " of sample " + std::to_string(i)
                 + " is not in [0, " + std::to_string(classes) + ")");
        auto [key, name] = grouping.groupOf(value[i]);
        auto &group = groups[key];
        if (group.name.empty()) {
            group.name = std::move(name);
            group.support.assign(std::size_t(classes), 0);
            group.hits.assign(std::size_t(classes), 0);
        }
        const auto y = std::size_t(label[i]);
        const bool hit = guess[i] == label[i];
        ++group.samples;
        group.correct += hit;
        ++group.support[y];
        group.hits[y] += hit;
    }
    return groups;
}

sdk::MetricValues report(const std::map<double, GroupCounts> &groups,
                         std::optional<std::int64_t> positive)
{
    sdk::MetricValues out;
    std::vector<double> accuracies, rates;
    for (const auto &[key, group] : groups) {
        const double accuracy = double(group.correct) / double(group.samples);
        out.emplace_back("accuracy/" + group.name, accuracy);
        accuracies.push_back(accuracy);
        if (const auto rate = truePositiveRate(group, positive)) {
            out.emplace_back("tpr/" + group.name, *rate);
            rates.push_back(*rate);
        }
    }
    addGap(out, "accuracy", accuracies);
    addGap(out, "tpr", rates);
    return out;
}

sdk::MetricValues compute(const Grouping &grouping, const FairnessOptions &options,
                          const sdk::MetricInput &input)
{
    const std::string split = input.split.empty() ? "evaluated" : input.split;
    if (!input.logits || !input.labels || !input.indices || !input.dataset)
        fail("the " + split + " split came without logits, labels, indices or its dataset");
    const auto n = input.labels->numel();
    if (n == 0)
        return {};
    if (input.logits->dim() != 2 || input.logits->size(0) != n || input.indices->numel() != n)
        fail("the " + split + " split's logits, labels and indices disagree on the sample count");
    const auto classes = input.logits->size(1);
    if (options.positiveClass && *options.positiveClass >= classes)
        fail("positive_class " + std::to_string(*options.positiveClass) + " is not among the "
             + std::to_string(classes) + " outputs of the model");
    const auto column = input.dataset->attribute(options.column);
    if (!column.defined())
        fail("the " + split + " split's dataset has no attribute \"" + options.column + "\"");
    const auto indices = input.indices->to(torch::kInt64).reshape({-1});
    if (indices.min().item<std::int64_t>() < 0
        || indices.max().item<std::int64_t>() >= column.numel())
        fail("a sample index of the " + split + " split is outside its dataset of "
             + std::to_string(column.numel()) + " samples");
    const auto values = column.to(torch::kFloat64).index_select(0, indices).contiguous();
    const auto labels = input.labels->to(torch::kInt64).reshape({-1}).contiguous();
    const auto predicted = input.logits->argmax(1).to(torch::kInt64).contiguous();
    return report(countGroups(grouping, values, labels, predicted, classes), options.positiveClass);
}

} // namespace

sdk::MetricFunction setUpFairness(const sdk::MetricArgs &args)
{
    if (!args.dataset)
        fail("needs the run's dataset to find its column");
    const auto &classNames = args.classNames.empty() ? args.dataset->classNames() : args.classNames;
    const auto options = parseFairnessOptions(args.options, classNames);
    const auto attributes = args.dataset->attributeNames();
    if (std::find(attributes.begin(), attributes.end(), options.column) == attributes.end())
        fail("column \"" + options.column + "\" is not an attribute of the dataset; "
             + (attributes.empty() ? std::string("it has none (a tabular dataset has one per "
                                                 "feature column)")
                                   : "its attributes are: " + join(attributes)));
    auto values = toVector(args.dataset->attribute(options.column));
    std::erase_if(values, [](double v) { return std::isnan(v); });
    const auto grouping
        = Grouping::fromColumn(options.column, std::move(values), options.threshold);
    return [grouping, options](const sdk::MetricInput &input) {
        return compute(grouping, options, input);
    };
}

} // namespace lathe::fairness
