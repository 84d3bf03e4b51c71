#include "core/train/evaluator.h"

namespace lathe::train {

nlohmann::json EvalResult::toJson() const
{
    nlohmann::json out = {{"loss", loss},
                          {"accuracy", accuracy},
                          {"samples", samples},
                          {"confusion", confusion},
                          {"precision", precision},
                          {"recall", recall},
                          {"f1", f1}};
    if (!extra.empty()) {
        nlohmann::json metrics = nlohmann::json::object();
        for (const auto &[name, value] : extra)
            metrics[name] = value;
        out["metrics"] = std::move(metrics);
    }
    return out;
}

EvalAccumulator::EvalAccumulator(std::int64_t numClasses)
    : m_numClasses(numClasses)
    , m_confusion(torch::zeros({numClasses, numClasses}, torch::kLong))
{
}

void EvalAccumulator::add(const torch::Tensor &logits, const torch::Tensor &labels)
{
    auto cpuLogits = logits.detach().to(torch::kCPU, torch::kFloat);
    auto cpuLabels = labels.to(torch::kCPU, torch::kLong);
    m_lossSum += torch::nn::functional::cross_entropy(
                     cpuLogits, cpuLabels,
                     torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                     .item<double>();
    m_samples += cpuLabels.size(0);
    auto predicted = cpuLogits.argmax(1);
    auto flat = cpuLabels * m_numClasses + predicted;
    m_confusion += torch::bincount(flat, {}, m_numClasses * m_numClasses)
                       .view({m_numClasses, m_numClasses});
}

EvalResult EvalAccumulator::result() const
{
    EvalResult r;
    r.samples = m_samples;
    r.loss = m_samples ? m_lossSum / double(m_samples) : 0.0;
    auto c = m_confusion.accessor<std::int64_t, 2>();
    std::int64_t correct = 0;
    r.confusion.assign(m_numClasses, std::vector<std::int64_t>(m_numClasses, 0));
    for (std::int64_t t = 0; t < m_numClasses; ++t) {
        for (std::int64_t p = 0; p < m_numClasses; ++p)
            r.confusion[t][p] = c[t][p];
        correct += c[t][t];
    }
    r.accuracy = m_samples ? double(correct) / double(m_samples) : 0.0;
    for (std::int64_t k = 0; k < m_numClasses; ++k) {
        std::int64_t predictedK = 0, actualK = 0;
        for (std::int64_t j = 0; j < m_numClasses; ++j) {
            predictedK += c[j][k];
            actualK += c[k][j];
        }
        const double precision = predictedK ? double(c[k][k]) / double(predictedK) : 0.0;
        const double recall = actualK ? double(c[k][k]) / double(actualK) : 0.0;
        r.precision.push_back(precision);
        r.recall.push_back(recall);
        r.f1.push_back(precision + recall > 0 ? 2 * precision * recall / (precision + recall)
                                              : 0.0);
    }
    return r;
}

torch::Tensor EvalAccumulator::totals() const
{
    const auto head = torch::tensor({m_lossSum, double(m_samples)}, torch::kDouble);
    return torch::cat({head, m_confusion.reshape(-1).to(torch::kDouble)});
}

void EvalAccumulator::setTotals(const torch::Tensor &totals)
{
    const auto t = totals.to(torch::kDouble).contiguous();
    m_lossSum = t[0].item<double>();
    m_samples = std::int64_t(t[1].item<double>());
    m_confusion = t.narrow(0, 2, m_numClasses * m_numClasses)
                      .to(torch::kLong)
                      .view({m_numClasses, m_numClasses});
}

EvalResult evaluate(model::Net &net, const BatchSource &next, std::int64_t numClasses,
                    const torch::Device &device, torch::Tensor *logits)
{
    return accumulate(net, next, numClasses, device, logits).result();
}

EvalAccumulator accumulate(model::Net &net, const BatchSource &next, std::int64_t numClasses,
                           const torch::Device &device, torch::Tensor *logits)
{
    const bool wasTraining = net->is_training();
    net->eval();
    torch::NoGradGuard noGrad;
    EvalAccumulator acc(numClasses);
    std::vector<torch::Tensor> kept;
    while (auto batch = next()) {
        const torch::Tensor out = net->forward(batch->first.to(device));
        acc.add(out, batch->second);
        if (logits)
            kept.push_back(out.to(torch::kCPU, torch::kFloat));
    }
    net->train(wasTraining);
    if (logits)
        *logits = kept.empty() ? torch::empty({0, numClasses}) : torch::cat(kept);
    return acc;
}

} // namespace lathe::train
