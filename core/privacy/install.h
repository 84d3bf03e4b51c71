// Installing DP-SGD as the trainer's private training, for programs at start-up: no LibTorch in
// sight, so a program's main compiles without it.
#pragma once

namespace lathe::privacy {

/// Installs DpSgd (dp_sgd.h) as the trainer's PrivateTraining factory
/// (train::setPrivateTrainingFactory).
void installDpSgd();

} // namespace lathe::privacy
