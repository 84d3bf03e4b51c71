#pragma once

#include "core/train/run_config.h"

#include <QWidget>

class QLabel;

namespace lathe::panels {

class ConfigForm;
class SchedulePreview;

/// The Hyperparameters panel: a form bound to a RunConfig's JSON (ConfigForm), validated with
/// RunConfig::fromJson on every edit; the first error is shown next to its field and in the
/// status line at the top. Below the form, the learning-rate schedule over the whole run
/// (SchedulePreview) follows every valid change. Open / Save read and write config JSON files;
/// "Find LR…" opens the LrFinderDialog, whose "Use this" writes the rate into the form.
/// The main window enables Start only while isValid() (see validityChanged()). GUI thread only.
class HyperparamsPanel : public QWidget
{
    Q_OBJECT

public:
    explicit HyperparamsPanel(QWidget *parent = nullptr);

    /// Fills the form from `config` (valid by construction); emits configChanged() and, if the
    /// form was invalid, validityChanged(true).
    void setConfig(const train::RunConfig &config);
    /// The last valid config (the defaults before any).
    train::RunConfig config() const { return m_config; }
    bool isValid() const { return m_valid; }

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
    /// Opens the learning-rate finder for config() (disabled while the form is invalid).
    void openLrFinder();

Q_SIGNALS:
    /// A valid config after an edit, setConfig() or openConfig().
    void configChanged(const lathe::train::RunConfig &config);
    /// The form went from valid to invalid or back.
    void validityChanged(bool valid);

private:
    void validate();
    void setValid(bool valid);
    void showFileError(const QString &what, const Error &error);

    ConfigForm *m_form = nullptr;
    SchedulePreview *m_preview = nullptr;
    QLabel *m_status = nullptr;
    QWidget *m_finderButton = nullptr;
    train::RunConfig m_config;
    bool m_valid = true;
};

} // namespace lathe::panels
