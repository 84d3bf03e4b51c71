#include "panels/bridge/adversarial_view.h"

#include "core/robust/attack.h"
#include "panels/bridge/inspect_jobs.h"
#include "panels/bridge/sample_image.h"

#include <QPainter>

namespace lathe::panels::inspect_jobs {

namespace {

constexpr int kTilePadding = 2;

/// Clean, adversarial and perturbation side by side, `kTilePadding` transparent pixels apart.
QImage threeTiles(const QImage &clean, const QImage &adversarial, const QImage &perturbation)
{
    const int w = clean.width(), h = clean.height();
    QImage grid(3 * w + 2 * kTilePadding, h, QImage::Format_RGBA8888);
    grid.fill(Qt::transparent);
    QPainter painter(&grid);
    painter.drawImage(0, 0, clean);
    painter.drawImage(w + kTilePadding, 0, adversarial);
    painter.drawImage(2 * (w + kTilePadding), 0, perturbation.scaled(w, h));
    return grid;
}

} // namespace

Result<InspectRender> adversarialView(train::OpenedRun &model, const torch::Tensor &image,
                                      qint64 label, const InspectOptions &options,
                                      std::stop_token stop)
{
    robust::AttackOptions attack;
    attack.kind = robust::AttackKind::Pgd;
    attack.epsilon = options.epsilon;
    attack.steps = options.attackSteps;
    try {
        model.net->eval();
        const auto classifier = robust::classifierOf(model.net, model.normalization);
        const auto clean = image.to(torch::kFloat).unsqueeze(0);
        auto adversarial
            = robust::attack(classifier, clean, torch::tensor({std::int64_t(label)}), attack, stop);
        if (!adversarial)
            return std::unexpected(adversarial.error());
        InspectRender out;
        {
            torch::NoGradGuard noGrad;
            const auto probabilities = torch::softmax(classifier(*adversarial), 1)[0];
            out.target = probabilities.argmax().item<std::int64_t>();
            out.score = probabilities[out.target].item<double>();
        }
        const auto delta = (*adversarial - clean)[0].sum(0);
        const auto perturbation
            = heatmapImage(delta, InspectColormap::Diverging, &out.low, &out.high);
        out.image
            = threeTiles(tensorToImage(clean[0]).convertToFormat(QImage::Format_RGBA8888),
                         tensorToImage((*adversarial)[0]).convertToFormat(QImage::Format_RGBA8888),
                         perturbation);
        out.channels = out.columns = 3;
        out.rows = 1;
        out.tileWidth = int(image.size(2));
        out.tileHeight = int(image.size(1));
        out.padding = kTilePadding;
        return out;
    } catch (const std::exception &e) {
        return fail(ErrorCode::Internal, std::string("the adversarial example failed: ") + e.what(),
                    "run " + std::to_string(model.run.id));
    }
}

} // namespace lathe::panels::inspect_jobs
