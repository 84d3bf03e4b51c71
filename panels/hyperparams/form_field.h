#pragma once

#include "panels/hyperparams/extension_list_editor.h"

#include <nlohmann/json.hpp>

#include <QObject>
#include <QString>
#include <QStringList>

#include <vector>

class QLabel;
class QWidget;

namespace lathe::panels {

/// One editable config key: an editor widget bound to a dotted JSON key ("optimizer.lr") plus
/// the label under it that shows that key's validation message (and, for some keys, a note that
/// is always shown). The editor's objectName is the key, the message label's key + ".error" and
/// the note's key + ".note", so tests and styles can find them.
/// Numbers are typed in line edits (scientific notation accepted, C locale); text that does
/// not parse is handed on as a JSON string so that RunConfig's validation names the problem
/// (options text that does not parse: see parseOptionsText()). GUI thread only.
class FormField : public QObject
{
    Q_OBJECT

public:
    enum class Kind {
        Text,       ///< any string (line edit)
        Choice,     ///< one of `choices` (combo box)
        Flag,       ///< true / false (check box)
        Real,       ///< a double (line edit)
        Integer,    ///< a signed integer (line edit)
        Unsigned,   ///< an unsigned integer such as the seed (line edit)
        IntList,    ///< "24, 48, 96" (line edit)
        RealList,   ///< "5, 8.5" (line edit)
        Options,    ///< an extension's options, "key=value, key=value" (line edit)
        Extensions, ///< a list of extension uses, one row each (ExtensionListEditor)
        Path,       ///< a file or folder (line edit and a Browse… button, see setPathIsFolder())
        StringList, ///< "fc1, fc2" (line edit)
        NumberMap,  ///< names to numbers, "conv1=0.1, fc=1" (line edit)
    };

    /// Creates the editor and the message label (both unparented until placed in a layout).
    FormField(QString key, Kind kind, QStringList choices = {}, QObject *parent = nullptr);
    /// A Kind::Extensions field offering `extensions`.
    FormField(QString key, std::vector<ExtensionChoice> extensions, QObject *parent = nullptr);

    const QString &key() const { return m_key; }
    Kind kind() const { return m_kind; }
    /// The row widget to put in a form: the editor with the message label under it.
    QWidget *widget() const { return m_row; }
    QWidget *editor() const { return m_editor; }

    /// Kind::Path: whether Browse… picks a folder (else a file). A file by default.
    void setPathIsFolder(bool folder) { m_pathIsFolder = folder; }
    bool pathIsFolder() const { return m_pathIsFolder; }
    /// Kind::Path: the file types Browse… offers, as QFileDialog's filter ("Safetensors
    /// (*.safetensors);;All files (*)"); empty = every file.
    void setNameFilter(const QString &filter) { m_nameFilter = filter; }
    /// Shows `text` under the editor, always (what a user should know before choosing a value;
    /// objectName key + ".note"). Empty hides it.
    void setNote(const QString &text);

    /// Shows `value` (the key's JSON value) without emitting edited().
    void setValue(const nlohmann::json &value);
    /// The editor's content as JSON (a string when it does not parse as the field's kind).
    nlohmann::json value() const;

    /// Shows `message` under the editor with a red frame and as tooltip; empty clears it.
    /// `at` is the dotted key the message is about, when it lies below this field's: for an
    /// options entry ("data.options.x", "metrics[1].x") the message names the entry (and the
    /// row of a list) and says how options are written, and a list frames only that row.
    void setError(const QString &message, const QString &at = {});
    bool hasError() const { return m_hasError; }

Q_SIGNALS:
    /// The user changed the editor's content.
    void edited();

private:
    void createRow(QWidget *editor);
    QWidget *createEditor(const QStringList &choices);
    /// Opens the file dialog (objectName key + ".dialog") whose choice becomes the value.
    void browse();
    QString text() const;
    QString describeError(const QString &message, const QString &at);

    QString m_key;
    Kind m_kind;
    QWidget *m_row = nullptr;
    QWidget *m_editor = nullptr;
    QLabel *m_error = nullptr;
    QLabel *m_note = nullptr;    ///< setNote()'s label, between the editor and the message
    QWidget *m_browse = nullptr; ///< Kind::Path: the Browse… button (objectName key + ".browse")
    bool m_hasError = false;
    bool m_pathIsFolder = false;
    QString m_nameFilter;
};

} // namespace lathe::panels
