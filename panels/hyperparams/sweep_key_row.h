#pragma once

#include "panels/hyperparams/config_form.h"

#include <nlohmann/json.hpp>

#include <QObject>
#include <QString>

#include <functional>
#include <vector>

class QCheckBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QWidget;

namespace lathe::panels {

/// One config key in the SweepBuilderDialog: a "search" check box with the form's label and
/// the key's current value; while ticked, its range (low, high and log for a real key, low,
/// high and step for an integer one) or its set of values (a check box each, the current one
/// ticked) for a choice or a flag. The range starts around the current value, narrowed until
/// the config accepts both ends. Object names: key + ".search", ".low", ".high", ".log",
/// ".step", ".value.<value>" and ".error" (the message label). GUI thread only.
class SweepKeyRow : public QObject
{
    Q_OBJECT

public:
    /// Whether the base config accepts `value` at this key.
    using Accepts = std::function<bool(const nlohmann::json &value)>;

    /// Adds the row to `grid` (three columns: check box, current value, editors). `current`
    /// is the key's value in the base config; `field` a Real, Integer, Unsigned, Choice or
    /// Flag field.
    SweepKeyRow(const ConfigForm::FieldInfo &field, const nlohmann::json &current,
                const Accepts &accepts, QGridLayout *grid, QObject *parent = nullptr);

    const QString &key() const { return m_key; }
    bool isSearched() const;
    /// The key's entry in a spec's space ({"type": "log_uniform", "low": 1e-4, ...}); a real
    /// range gets `gridPoints` points for the grid sampler when it is > 0. A bound that does not
    /// parse as a number is handed on as its text, for the spec's parser to name.
    nlohmann::json dimension(int gridPoints) const;
    /// Shows `message` under the editors; empty clears it.
    void setError(const QString &message);

Q_SIGNALS:
    void edited();

private:
    enum class Kind { Real, Integer, Choice };
    QWidget *createRangeEditor(const nlohmann::json &current, const Accepts &accepts);
    QWidget *createValueSet(const ConfigForm::FieldInfo &field, const nlohmann::json &current);
    QLineEdit *addNumberEdit(const QString &suffix, const QString &tip);
    nlohmann::json number(const QLineEdit *edit) const;

    QString m_key;
    Kind m_kind = Kind::Real;
    QCheckBox *m_search = nullptr;
    QWidget *m_editor = nullptr;
    QLabel *m_error = nullptr;
    QLineEdit *m_low = nullptr;
    QLineEdit *m_high = nullptr;
    QLineEdit *m_step = nullptr;                                  ///< Integer only
    QCheckBox *m_log = nullptr;                                   ///< Real only
    std::vector<std::pair<QCheckBox *, nlohmann::json>> m_values; ///< Choice only
};

} // namespace lathe::panels
