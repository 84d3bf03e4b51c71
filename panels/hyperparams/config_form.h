#pragma once

#include "panels/hyperparams/form_field.h"

#include <nlohmann/json.hpp>

#include <QWidget>

#include <vector>

class QFormLayout;
class QVBoxLayout;

namespace lathe::panels {

class FrozenStagesEditor;

/// The run config as a form: one group box per section (model, optimizer, schedule, training,
/// augmentation, inspection, metrics, data), each row a FormField bound to a dotted key; the
/// metrics and augment.extra lists offer one row per registered metric or augmentation; the
/// Fine-tune group lists the model's stages to freeze (FrozenStagesEditor). Every key of
/// RunConfig has a field (except "steering", which only the trainer writes); paths (data.path, the
/// fine-tune weight files) have a Browse… button, for a folder where the reader reads one. The
/// form keeps the raw config JSON and writes every edit into it, so keys it does not show
/// survive. Only the parameters that the chosen schedule type and optimizer use are shown (plus
/// any field that shows an error); augmentation fields are disabled while augmentation is off.
/// Validation is the owner's job (showError()). GUI thread only.
class ConfigForm : public QWidget
{
    Q_OBJECT

public:
    explicit ConfigForm(QWidget *parent = nullptr);

    /// Replaces the JSON and shows its values; emits nothing.
    void setJson(nlohmann::json json);
    const nlohmann::json &json() const { return m_json; }

    /// Writes `value` at dotted `key` into the JSON and its field, then emits edited(key).
    void setValue(const QString &key, const nlohmann::json &value);

    /// Shows `message` at the field whose key is `key` (or the list field `key` indexes,
    /// "model.widths[1]") and clears every other field's message. Returns false when no field
    /// shows that key (the caller then shows the message elsewhere). Empty key clears all.
    bool showError(const QString &key, const QString &message);

    /// The field bound to `key`, or null.
    FormField *field(const QString &key) const;

    /// A field as the sweep builder lists it.
    struct FieldInfo
    {
        QString key;
        QString section; ///< the title of its group, "Optimizer"
        QString label;   ///< "Learning rate"
        QString tip;     ///< the label's tooltip: what the key means, and the key
        FormField::Kind kind = FormField::Kind::Text;
        QStringList choices; ///< Kind::Choice: what its combo box offers
    };
    /// Every field, in the form's order.
    std::vector<FieldInfo> fieldInfos() const;
    /// Whether `config` uses `key`: a parameter of another optimizer or schedule type than the
    /// one it names is not used (the form hides it).
    static bool isUsed(const QString &key, const nlohmann::json &config);

Q_SIGNALS:
    /// The user (or setValue()) changed the value at `key`; json() holds it already.
    void edited(const QString &key);

private:
    struct Row
    {
        const char *key;
        const char *label;
        FormField::Kind kind;
        const char *help;
    };
    QFormLayout *addGroup(QVBoxLayout *layout, const QString &title, const std::vector<Row> &rows);
    void addFineTuneGroup(QVBoxLayout *layout);
    void updateOutline();
    void updateLoraNote();
    void afterEdit(const QString &key);
    QStringList choicesFor(const QString &key) const;
    std::vector<ExtensionChoice> extensionChoicesFor(const QString &key) const;
    void onFieldEdited(FormField *field);
    void updateVisibility();
    void updateReaderHint();

    nlohmann::json m_json = nlohmann::json::object();
    std::vector<FormField *> m_fields;
    std::vector<QFormLayout *> m_layouts; ///< m_layouts[i] holds m_fields[i]'s row
    FrozenStagesEditor *m_frozen = nullptr;
};

} // namespace lathe::panels
