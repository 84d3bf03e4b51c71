#pragma once

#include "core/train/run_config.h"
#include "panels/hyperparams/config_form.h"

#include <nlohmann/json.hpp>

#include <QDialog>

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace lathe::panels {

class SweepKeyRow;

/// "New sweep…" of the Hyperparameters panel: a sweep spec built on the form's config, which
/// the spec holds as its base. Lists every number, choice and flag of the config a search may
/// vary, grouped as the form groups them (a SweepKeyRow each: tick it, then give its range or
/// its set of values; a key that only some of a searched choice's values use, such as momentum
/// beside optimizer.name, is drawn only for those), and the objective (val/accuracy or val/loss,
/// the direction following the metric), sampler and seed, pruner, trial budget, workers
/// (train::defaultSweepWorkers) and name. Each edit builds the spec and reads it with core's
/// parser, as `lathe-cli sweep` does (sweep::parseSweepSpec with train::sweepSpecOptions()): its
/// message shows at the key it names and in the status line, and Save spec… and Start stay disabled
/// while there is one. Parts are found by object name: "sweepBuilderKeys" (the list, in a scroll
/// area; each key's parts as SweepKeyRow names them), "sweepBuilderName", "sweepBuilderMetric",
/// "sweepBuilderDirection", "sweepBuilderSampler", "sweepBuilderSeed", "sweepBuilderGridPoints",
/// "sweepBuilderPruner", "sweepBuilderTrials", "sweepBuilderWorkers", "sweepBuilderStatus",
/// "sweepBuilderSave", "sweepBuilderStart". GUI thread only.
class SweepBuilderDialog : public QDialog
{
    Q_OBJECT

public:
    /// `fields`: the form's fields (ConfigForm::fieldInfos()); those whose key `base` holds as
    /// a number, string or flag are listed, less the keys a sweep should not vary (the data and
    /// its split, threads, device, fused kernels, histograms, checkpoint keeping).
    SweepBuilderDialog(const train::RunConfig &base,
                       const std::vector<ConfigForm::FieldInfo> &fields, QWidget *parent = nullptr);

    /// The spec as the dialog stands, valid or not.
    nlohmann::json spec() const;
    bool isValid() const { return m_valid; }

public Q_SLOTS:
    /// Writes the spec to `path` atomically (formats::writeFileAtomically); false, with the
    /// reason in the status line, when the spec is invalid or the file cannot be written.
    bool saveSpec(const QString &path);
    /// Asks for a file (a QFileDialog named "sweepBuilderFileDialog"), then saveSpec().
    void chooseAndSave();
    /// Saves the spec as <Lathe's data folder>/sweeps/<name>-<date-time>.json, emits
    /// startRequested() with that path and closes; stays open, saying why, when it cannot.
    void start();

Q_SIGNALS:
    void startRequested(const QString &specPath);

private:
    QWidget *buildKeys(const std::vector<ConfigForm::FieldInfo> &fields);
    QWidget *buildSettings(const train::RunConfig &base);
    void createSettingFields(const train::RunConfig &base);
    void validate();
    void showStatus(const QString &text, bool error);

    nlohmann::json m_base;
    std::vector<SweepKeyRow *> m_rows;
    QLineEdit *m_name = nullptr;
    QLabel *m_nameError = nullptr;
    QComboBox *m_metric = nullptr;
    QComboBox *m_direction = nullptr;
    QComboBox *m_sampler = nullptr;
    QSpinBox *m_seed = nullptr;
    QSpinBox *m_gridPoints = nullptr; ///< grid sampler: points of each real range
    QComboBox *m_pruner = nullptr;
    QSpinBox *m_trials = nullptr;
    QSpinBox *m_workers = nullptr;
    QLabel *m_status = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_start = nullptr;
    bool m_valid = false;
};

} // namespace lathe::panels
