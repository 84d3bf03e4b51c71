#pragma once

#include "core/train/run_config.h"
#include "panels/bridge/dataset_probe.h"

#include <nlohmann/json.hpp>

#include <QWidget>

#include <optional>

class QLabel;
class QScrollArea;
class QTimer;

namespace lathe::panels {

class ConfigForm;
class SchedulePreview;
class WorkersField;

/// The Hyperparameters panel: a form bound to a RunConfig's JSON (ConfigForm), validated with
/// RunConfig::fromJson on every edit; the first error is shown next to its field and in the
/// status line at the top. The data the config names is read on a worker (DatasetProbe, a
/// moment after the last edit of the data or seed): a reader's error (a path that does not exist,
/// an image folder without class sub-folders) is shown at data.path and makes the form invalid,
/// and its training-sample count drives the learning-rate schedule over the whole run
/// (SchedulePreview) under the form. A fine-tune weight file that does not exist is an error
/// at its field. Open / Save read and write config JSON files; "Find LR…" opens the
/// LrFinderDialog, whose "Use this" writes the rate into the form; "New sweep…" the
/// SweepBuilderDialog, a sweep over ranges of this config. The main window enables
/// Start only while isValid() (see validityChanged()). GUI thread only.
class HyperparamsPanel : public QWidget
{
    Q_OBJECT

public:
    explicit HyperparamsPanel(QWidget *parent = nullptr);

    /// Fills the form from `config` (valid by construction); emits configChanged() and, if the
    /// form was invalid, validityChanged(true).
    void setConfig(const train::RunConfig &config);
    /// The last config that RunConfig's validation accepted (the defaults before any); whether
    /// its data can be read too: isValid().
    train::RunConfig config() const { return m_config; }
    bool isValid() const { return m_valid; }
    /// "Workers: N" under the buttons: how many local processes train the next run (1: in the
    /// window; more: `lathe-cli train --nproc N`, see WorkersField).
    int workers() const;

public Q_SLOTS:
    /// Loads a config file into the form. On error (unreadable, bad JSON with its line, or a
    /// value that does not validate) shows a message box naming the file and returns false,
    /// leaving the form as it was.
    bool openConfig(const QString &path);
    /// Writes config() as indented JSON to `path`; a message box names the file on error.
    bool saveConfig(const QString &path);
    /// Asks for a file, then openConfig() / saveConfig().
    void chooseAndOpen();
    void chooseAndSave();
    /// Makes the form train the TorchScript model in `path` (finetune.torchscript): "Open
    /// model…". The form scrolls to the Fine-tune group, which lists its layers, or why it
    /// cannot be used.
    void useModel(const QString &path);
    /// Opens the learning-rate finder for config() (disabled while the form is invalid).
    void openLrFinder();
    /// "New sweep…": opens the SweepBuilderDialog on config() (disabled while the form is
    /// invalid); its Start is passed on as sweepStartRequested().
    void openSweepBuilder();
    /// Makes the form train on `data`, the dataset the user opened in the Dataset panel: its
    /// reader, path and options replace the form's (and data.classes, which index the previous
    /// dataset's classes, is emptied); the split, limits and everything else stay. A note above
    /// the form says so, with an Undo button that puts the previous data section back. Nothing
    /// happens when the form already names that reader, path and options.
    void useData(const lathe::train::DataConfig &data);
    /// Prepares the form for a new run from the current settings: drops what belonged to the
    /// previous run (the fine-tune section, so the next run does not silently fine-tune again,
    /// and the steering it recorded) and keeps everything else.
    void startNewRun();

Q_SIGNALS:
    /// A valid config after an edit, setConfig() or openConfig().
    void configChanged(const lathe::train::RunConfig &config);
    /// The form went from valid to invalid or back.
    void validityChanged(bool valid);
    /// The data the form names was read (and counted) without an error: what the next run
    /// trains on, for the Dataset panel to show (the main window connects it to
    /// DatasetPanel::showData).
    void dataReadable(const lathe::train::DataConfig &data);
    /// The sweep builder saved a spec at `specPath` and its Start was pressed (the main window
    /// runs it in the Sweeps panel).
    void sweepStartRequested(const QString &specPath);

private:
    void validate();
    /// Shows `message` at `key` and in the status line; the form is invalid.
    void showInvalid(const QString &key, const QString &message, const QString &status);
    /// The first problem of `config`'s files and data: (key, message), or nullopt.
    std::optional<std::pair<QString, QString>> dataProblem(const train::RunConfig &config);
    void onCounted(const DatasetCount &count);
    void setValid(bool valid);
    void showFileError(const QString &what, const Error &error);
    QWidget *buildDataNote();
    void undoData();

    ConfigForm *m_form = nullptr;
    QScrollArea *m_formScroll = nullptr;
    SchedulePreview *m_preview = nullptr;
    QLabel *m_status = nullptr;
    QWidget *m_finderButton = nullptr;
    QWidget *m_sweepButton = nullptr;
    WorkersField *m_workers = nullptr;
    QWidget *m_dataNote = nullptr; ///< "The form now trains on …" with its Undo button
    QLabel *m_dataNoteText = nullptr;
    nlohmann::json m_dataBefore; ///< the data section useData() replaced
    DatasetProbe *m_probe = nullptr;
    QTimer *m_probeTimer = nullptr;         ///< a count starts once the edits pause
    std::optional<DatasetCount> m_count;    ///< the latest count received
    std::optional<DatasetCount> m_counting; ///< what is being counted (data and seed)
    train::RunConfig m_config;
    bool m_valid = true;
};

} // namespace lathe::panels
