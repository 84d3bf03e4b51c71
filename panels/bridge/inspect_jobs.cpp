#include "panels/bridge/inspect_jobs.h"

#include "core/inspect/attention.h"
#include "core/inspect/errors.h"
#include "core/inspect/layers.h"
#include "core/track/metric_keys.h"
#include "core/util/torch_error.h"
#include "panels/bridge/sample_image.h"

#include <algorithm>

namespace lathe::panels {

QList<InspectPrediction> InspectErrors::cell(int label, int predicted) const
{
    QList<InspectPrediction> rows;
    const int k = int(classNames.size());
    if (label < 0 || predicted < 0 || label >= k || predicted >= k
        || cells.size() != qsizetype(k) * k)
        return rows;
    for (int position : cells[label * k + predicted])
        rows.append(predictions[position]);
    return rows;
}

namespace inspect_jobs {

ModelCache::ModelCache(std::filesystem::path db, std::size_t capacity)
    : m_db(std::move(db))
    , m_capacity(capacity)
{
}

std::shared_ptr<ModelSlot> ModelCache::slot(const InspectKey &key)
{
    std::lock_guard lock(m_mutex);
    auto it = std::find_if(m_slots.begin(), m_slots.end(),
                           [&](const auto &slot) { return slot->key == key; });
    std::shared_ptr<ModelSlot> found;
    if (it != m_slots.end()) {
        found = *it;
        m_slots.erase(it);
    } else {
        found = std::make_shared<ModelSlot>();
        found->key = key;
    }
    m_slots.push_front(found);
    // A job still using a dropped slot keeps it alive until it finishes.
    while (m_slots.size() > m_capacity)
        m_slots.pop_back();
    return found;
}

Result<train::OpenedRun> ModelCache::load(const InspectKey &key) const
{
    return train::openRun(m_db, std::to_string(key.runId), key.checkpoint.toStdString());
}

Result<void> ModelCache::with(const InspectKey &key,
                              const std::function<Result<void>(train::OpenedRun &)> &use)
{
    auto entry = slot(key);
    std::lock_guard lock(entry->mutex);
    std::error_code ec;
    if (entry->model
        && std::filesystem::last_write_time(entry->model->checkpoint.path, ec) != entry->written)
        entry->model.reset();
    if (!entry->model) {
        auto loaded = load(key);
        if (!loaded)
            return std::unexpected(loaded.error());
        entry->written = std::filesystem::last_write_time(loaded->checkpoint.path, ec);
        entry->model = std::move(*loaded);
    }
    try {
        return use(*entry->model);
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, e.what(), "inspection");
    }
}

Result<QList<InspectCheckpoint>> listCheckpoints(const std::filesystem::path &db, qint64 runId)
{
    auto checkpoints = train::listCheckpoints(db, runId);
    if (!checkpoints)
        return std::unexpected(checkpoints.error());
    QList<InspectCheckpoint> list;
    for (const auto &info : *checkpoints) {
        if (!info.missing)
            list.append({QString::fromStdString(info.name), info.epoch, info.step});
    }
    return list;
}

Result<InspectModelInfo> describe(train::OpenedRun &model, const InspectKey &key)
{
    InspectModelInfo info;
    info.key = key;
    info.runName = QString::fromStdString(model.run.name);
    info.arch = QString::fromStdString(model.net->arch());
    for (const auto &name : model.classNames)
        info.classNames.append(QString::fromStdString(name));
    if (model.inputShape.size() == 3) {
        info.channels = int(model.inputShape[0]);
        info.height = int(model.inputShape[1]);
        info.width = int(model.inputShape[2]);
    }
    info.testSize = model.data.test ? model.data.test->size() : 0;
    torch::NoGradGuard noGrad;
    const auto layers = inspect::listLayers(model.net, model.inputShape);
    for (const auto &layer : layers) {
        InspectLayer row{QString::fromStdString(layer.name), {}, layer.spatial};
        for (auto d : layer.shape)
            row.shape.append(d);
        info.layers.append(row);
    }
    info.gradCamLayer = QString::fromStdString(inspect::lastSpatialLayer(layers));
    // Attention models answer with their maps; the others with InvalidArgument.
    auto zero = torch::zeros(model.inputShape).unsqueeze(0);
    if (auto maps = inspect::attentionMaps(model.net, model.prepare(zero));
        maps && !maps->layers.empty()) {
        info.attentionLayers = int(maps->layers.size());
        info.attentionHeads = int(maps->layers.front().size(0));
    }
    return info;
}

Result<InspectSampleInfo> sampleInfo(train::OpenedRun &model, const InspectSample &sample)
{
    auto raw = sampleTensor(model, sample);
    if (!raw)
        return std::unexpected(raw.error());
    torch::NoGradGuard noGrad;
    const auto logits = model.net->forward(model.prepare(raw->first));
    const auto probabilities = torch::softmax(logits.to(torch::kFloat), 1)[0];
    InspectSampleInfo info;
    info.image = tensorToImage(raw->first);
    info.label = raw->second;
    info.predicted = probabilities.argmax().item<std::int64_t>();
    info.confidence = probabilities[info.predicted].item<double>();
    return info;
}

Result<InspectErrors> errors(train::OpenedRun &model, const InspectKey &key, std::stop_token stop,
                             const Progress &progress)
{
    auto report = inspect::errorReport(model, stop, progress);
    if (!report)
        return std::unexpected(report.error());
    InspectErrors out;
    out.key = key;
    out.validation = report->split == track::keys::kValSplit;
    if (out.validation) {
        if (auto set = inspect::evaluationSet(model))
            out.validationSamples = set->samples;
    }
    for (const auto &name : model.classNames)
        out.classNames.append(QString::fromStdString(name));
    for (const auto &row : report->confusion)
        out.confusion.append(QList<qint64>(row.begin(), row.end()));
    out.precision = QList<double>(report->precision.begin(), report->precision.end());
    out.recall = QList<double>(report->recall.begin(), report->recall.end());
    out.f1 = QList<double>(report->f1.begin(), report->f1.end());
    out.accuracy = report->accuracy;
    out.predictions.reserve(qsizetype(report->predictions.size()));
    for (const auto &p : report->predictions)
        out.predictions.append({p.index, p.label, p.predicted, p.confidence, p.loss});
    // The cells as core orders them; predictions are in test-set order, so index = position.
    const auto k = std::int64_t(out.classNames.size());
    for (std::int64_t t = 0; t < k; ++t) {
        for (std::int64_t p = 0; p < k; ++p) {
            QList<int> positions;
            for (const auto &row : report->cell(t, p)) {
                if (row.index >= 0 && row.index < out.predictions.size())
                    positions.append(int(row.index));
            }
            out.cells.append(positions);
        }
    }
    return out;
}

Result<QList<QImage>> testImages(train::OpenedRun &model, const QList<qint64> &indices)
{
    auto set = inspect::evaluationSet(model);
    if (!set)
        return std::unexpected(set.error());
    const auto &samples = *set->samples;
    QList<QImage> images;
    images.reserve(indices.size());
    try {
        for (qint64 index : indices) {
            if (index < 0 || index >= samples.size())
                return fail(ErrorCode::InvalidArgument,
                            "sample " + std::to_string(index) + " is out of range: the "
                                + set->split + " set has " + std::to_string(samples.size())
                                + " samples");
            images.append(tensorToImage(
                samples.images(torch::tensor({std::int64_t(index)}, torch::kLong))[0]));
        }
    } catch (const std::exception &e) {
        return fail(ErrorCode::BadInput,
                    "cannot read a " + set->split + " sample: " + util::describe(e));
    }
    return images;
}

} // namespace inspect_jobs

} // namespace lathe::panels
