#pragma once

#include "core/train/run_config.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace lathe::panels {

/// "Open dataset…": picks a registered dataset reader (built-in or a plugin's, with its
/// description), the path it reads and its options ("key=value, key=value", as the
/// hyperparameter form writes them), i.e. a run config's data.dataset, data.path and
/// data.options. Refuses to close on options text it cannot read, saying why. GUI thread only.
class OpenDatasetDialog : public QDialog
{
    Q_OBJECT

public:
    /// Starts from `initial`'s reader, path and options.
    explicit OpenDatasetDialog(const train::DataConfig &initial, QWidget *parent = nullptr);

    /// The reader, path and options chosen (other DataConfig fields keep their defaults).
    train::DataConfig data() const;

    void accept() override;

private:
    void showReader();
    void browse(bool folder);

    QComboBox *m_reader;
    QLabel *m_description;
    QLineEdit *m_path;
    QLineEdit *m_options;
    QLabel *m_error;
};

} // namespace lathe::panels
