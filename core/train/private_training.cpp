#include "core/train/private_training.h"

namespace lathe::train {

namespace {

PrivateTrainingFactory &installed()
{
    static PrivateTrainingFactory factory;
    return factory;
}

} // namespace

void setPrivateTrainingFactory(PrivateTrainingFactory factory)
{
    installed() = std::move(factory);
}

Result<std::shared_ptr<PrivateTraining>>
makePrivateTraining(const RunConfig &config, std::int64_t trainSamples, std::int64_t totalSteps)
{
    if (!installed())
        return fail(ErrorCode::Internal,
                    "privacy.enabled needs DP-SGD, which this program did not install (call "
                    "privacy::installDpSgd() at start-up)",
                    "privacy");
    return installed()(config, trainSamples, totalSteps);
}

} // namespace lathe::train
