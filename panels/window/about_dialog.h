#pragma once

#include <QString>

#include <filesystem>

class QWidget;

namespace lathe::panels {

/// Help → About's text (rich text): Lathe's version and commit, the experiment store, and this
/// process's environment as a run records it (LibTorch and its build, CPU and its vector
/// extensions, threads, GPU, OS, host: core/train/run_environment.h), the same facts
/// `lathe --version` and `lathe-cli info` give. GUI thread (reads /proc and LibTorch's
/// configuration, a few ms).
QString aboutText(const std::filesystem::path &db);

/// Shows the About box with aboutText() (QMessageBox::about, modal).
void showAbout(QWidget *parent, const std::filesystem::path &db);

} // namespace lathe::panels
