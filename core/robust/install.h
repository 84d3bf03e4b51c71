// Installing adversarial training in the trainer, for programs at start-up: no LibTorch in sight,
// so a program's main compiles without it.
#pragma once

namespace lathe::robust {

/// Installs AdversarialTrainer::create (adversarial_trainer.h) as the trainer's factory (train's
/// setAdversarialTrainingFactory). Programs that train (lathe, lathe-cli) call it once at
/// start-up. Thread-safe.
void installAdversarialTraining();

} // namespace lathe::robust
