#pragma once

#include <nlohmann/json.hpp>

#include <QString>
#include <QWidget>

#include <vector>

class QCheckBox;
class QLineEdit;

namespace lathe::panels {

/// One registered extension the editor offers: its registry name, one-line description and
/// source (plugin::kBuiltIn or the plugin's name).
struct ExtensionChoice
{
    QString name;
    QString description;
    QString source;
};

/// Edits a config list of extension uses ("metrics", "augment.extra": [{"name": ..., option:
/// value}]) as one checkable row per registered extension: the check box (named, with the
/// description as tooltip and a plugin's name beside it) puts the extension in the list, and
/// the line edit holds its options as "key=value, key=value" (see parseOptionsText()). Entries
/// the rows cannot show (an unknown name, a second use of a name) are kept as they are, so
/// validation still sees them. Child objectNames: `<key>/<name>` for a row's check box and
/// `<key>/<name>/options` for its line edit. GUI thread only.
class ExtensionListEditor : public QWidget
{
    Q_OBJECT

public:
    ExtensionListEditor(const QString &key, std::vector<ExtensionChoice> choices,
                        QWidget *parent = nullptr);

    /// Shows `list` (a JSON array of uses; anything else shows no use) without emitting.
    void setValue(const nlohmann::json &list);
    /// The list as the rows set it: the shown uses in their order, with each row's options as
    /// typed (a malformed entry as {"<entry>": null}), then newly ticked rows in row order.
    nlohmann::json value() const;

    /// The name of the row behind entry `index` of value(); empty when no row shows it.
    QString nameAt(int index) const;
    /// Frames the options of the row behind entry `index` of value() in red with `message` as
    /// tooltip, and clears the others; -1 clears all.
    void setErrorAt(int index, const QString &message);

Q_SIGNALS:
    /// The user ticked or unticked a row or edited its options.
    void edited();

private:
    struct Row
    {
        ExtensionChoice choice;
        QCheckBox *check = nullptr;
        QLineEdit *options = nullptr;
    };
    /// value()'s entries: a row's index, or -1 - i for m_shown[i] kept as it is.
    std::vector<int> order() const;
    int rowOf(const nlohmann::json &use) const;
    void addRow(const QString &key, ExtensionChoice choice);

    nlohmann::json m_shown = nlohmann::json::array(); ///< the list setValue() gave
    std::vector<Row> m_rows;
};

} // namespace lathe::panels
