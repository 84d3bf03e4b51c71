#include "core/train/adversarial_training.h"

#include <mutex>

namespace lathe::train {

namespace {

std::mutex &factoryMutex()
{
    static std::mutex mutex;
    return mutex;
}

AdversarialTrainingFactory &installedFactory()
{
    static AdversarialTrainingFactory factory;
    return factory;
}

} // namespace

void setAdversarialTrainingFactory(AdversarialTrainingFactory factory)
{
    std::lock_guard lock(factoryMutex());
    installedFactory() = std::move(factory);
}

AdversarialTrainingFactory adversarialTrainingFactory()
{
    std::lock_guard lock(factoryMutex());
    return installedFactory();
}

} // namespace lathe::train
