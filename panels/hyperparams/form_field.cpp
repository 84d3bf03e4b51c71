#include "panels/hyperparams/form_field.h"

#include "panels/hyperparams/field_colours.h"
#include "panels/hyperparams/options_text.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleValidator>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

#include <optional>

namespace lathe::panels {

namespace {

QString formatNumber(const nlohmann::json &value)
{
    if (value.is_number_integer() || value.is_number_unsigned())
        return QString::fromStdString(value.dump());
    if (value.is_number())
        return QString::number(value.get<double>(), 'g', 10);
    return value.is_string() ? QString::fromStdString(value.get<std::string>())
                             : QString::fromStdString(value.dump());
}

QValidator *patternValidator(const char *pattern, QObject *parent)
{
    return new QRegularExpressionValidator(QRegularExpression(pattern), parent);
}

/// Parses "a, b, c" with `parse` per item; nullopt when an item does not parse.
template<typename Parse>
std::optional<nlohmann::json> parseList(const QString &text, Parse parse)
{
    auto list = nlohmann::json::array();
    for (const QString &part : text.split(',')) {
        if (part.trimmed().isEmpty())
            continue;
        bool ok = false;
        const auto item = parse(part.trimmed(), &ok);
        if (!ok)
            return std::nullopt;
        list.push_back(item);
    }
    return list;
}

/// Options as a tooltip: one "key=value" a line; empty when there are none.
QString optionsTip(const QString &text)
{
    QStringList lines;
    const auto options = parseOptionsText(text);
    for (const auto &[key, value] : options.items()) {
        if (value.is_string())
            lines << QString::fromStdString(key + "=" + value.get<std::string>());
    }
    return lines.join('\n');
}

/// "conv1=0.1, fc=1" as {"conv1": 0.1, "fc": 1.0}; a value that is not a number stays a string
/// (and a malformed entry as parseOptionsText() leaves it) for RunConfig's validation to name.
nlohmann::json parseNumberMap(const QString &text)
{
    auto map = parseOptionsText(text);
    for (auto &[key, value] : map.items()) {
        bool ok = false;
        const double number
            = value.is_string()
                  ? QLocale::c().toDouble(QString::fromStdString(value.get<std::string>()), &ok)
                  : 0.0;
        if (ok)
            value = number;
    }
    return map;
}

} // namespace

FormField::FormField(QString key, Kind kind, QStringList choices, QObject *parent)
    : QObject(parent)
    , m_key(std::move(key))
    , m_kind(kind)
{
    createRow(createEditor(choices));
}

FormField::FormField(QString key, std::vector<ExtensionChoice> extensions, QObject *parent)
    : QObject(parent)
    , m_key(std::move(key))
    , m_kind(Kind::Extensions)
{
    auto *list = new ExtensionListEditor(m_key, std::move(extensions));
    connect(list, &ExtensionListEditor::edited, this, &FormField::edited);
    createRow(list);
}

void FormField::createRow(QWidget *editor)
{
    m_row = new QWidget;
    auto *layout = new QVBoxLayout(m_row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_editor = editor;
    m_editor->setObjectName(m_key);
    m_error = new QLabel;
    m_error->setObjectName(m_key + ".error");
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(kErrorColor));
    m_error->hide();
    if (m_kind == Kind::Path) {
        auto *browse = new QPushButton(tr("Browse…"));
        browse->setObjectName(m_key + ".browse");
        browse->setToolTip(tr("Choose it in a file dialog"));
        connect(browse, &QPushButton::clicked, this, &FormField::browse);
        m_browse = browse;
        auto *line = new QHBoxLayout;
        line->setSpacing(4);
        line->addWidget(m_editor, 1);
        line->addWidget(browse);
        layout->addLayout(line);
    } else {
        layout->addWidget(m_editor);
    }
    layout->addWidget(m_error);
}

void FormField::setNote(const QString &text)
{
    if (!m_note) {
        m_note = new QLabel;
        m_note->setObjectName(m_key + ".note");
        m_note->setWordWrap(true);
        // Under the editor, above the validation message.
        static_cast<QVBoxLayout *>(m_row->layout())->insertWidget(1, m_note);
    }
    m_note->setText(text);
    m_note->setVisible(!text.isEmpty());
}

void FormField::browse()
{
    auto *edit = static_cast<QLineEdit *>(m_editor);
    const QFileInfo current(edit->text().trimmed());
    const QString start = current.isDir() ? current.filePath() : current.path();
    auto *dialog = new QFileDialog(m_editor->window(),
                                   m_pathIsFolder ? tr("Choose a folder") : tr("Choose a file"),
                                   current.exists() ? start : QString());
    dialog->setObjectName(m_key + ".dialog");
    dialog->setFileMode(m_pathIsFolder ? QFileDialog::Directory : QFileDialog::ExistingFile);
    if (m_pathIsFolder)
        dialog->setOption(QFileDialog::ShowDirsOnly);
    else if (!m_nameFilter.isEmpty())
        dialog->setNameFilter(m_nameFilter);
    if (current.isFile())
        dialog->selectFile(current.filePath());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this, edit](const QString &path) {
        edit->setText(QDir::cleanPath(path));
        Q_EMIT edited();
    });
    dialog->open();
}

QWidget *FormField::createEditor(const QStringList &choices)
{
    if (m_kind == Kind::Choice) {
        auto *combo = new QComboBox;
        combo->addItems(choices);
        connect(combo, &QComboBox::activated, this, &FormField::edited);
        return combo;
    }
    if (m_kind == Kind::Flag) {
        auto *check = new QCheckBox;
        connect(check, &QCheckBox::clicked, this, &FormField::edited);
        return check;
    }
    auto *edit = new QLineEdit;
    switch (m_kind) {
    case Kind::Real: {
        auto *validator = new QDoubleValidator(edit);
        validator->setLocale(QLocale::c());
        validator->setNotation(QDoubleValidator::ScientificNotation);
        edit->setValidator(validator);
        break;
    }
    case Kind::Integer: edit->setValidator(patternValidator("-?[0-9]*", edit)); break;
    case Kind::Unsigned: edit->setValidator(patternValidator("[0-9]*", edit)); break;
    case Kind::IntList: edit->setValidator(patternValidator("[-0-9, ]*", edit)); break;
    case Kind::RealList: edit->setValidator(patternValidator("[-0-9.eE+, ]*", edit)); break;
    case Kind::Options: edit->setPlaceholderText(tr("key=value, key=value")); break;
    case Kind::NumberMap: edit->setPlaceholderText(tr("stage=number, stage=number")); break;
    case Kind::StringList: edit->setPlaceholderText(tr("name, name")); break;
    default: break;
    }
    connect(edit, &QLineEdit::textEdited, this, &FormField::edited);
    return edit;
}

void FormField::setValue(const nlohmann::json &value)
{
    if (auto *list = qobject_cast<ExtensionListEditor *>(m_editor)) {
        list->setValue(value);
    } else if (m_kind == Kind::Options || m_kind == Kind::NumberMap) {
        auto *edit = static_cast<QLineEdit *>(m_editor);
        edit->setText(formatOptionsText(value));
        edit->setCursorPosition(0);
    } else if (auto *combo = qobject_cast<QComboBox *>(m_editor)) {
        const QString text = formatNumber(value);
        if (combo->findText(text) < 0)
            combo->addItem(text); // keep an unknown value visible; validation reports it
        combo->setCurrentText(text);
    } else if (auto *check = qobject_cast<QCheckBox *>(m_editor)) {
        check->setChecked(value.is_boolean() && value.get<bool>());
    } else if (auto *edit = qobject_cast<QLineEdit *>(m_editor)) {
        QStringList items;
        if (value.is_array()) {
            for (const auto &item : value)
                items << formatNumber(item);
        } else {
            items << formatNumber(value);
        }
        edit->setText(items.join(QStringLiteral(", ")));
        edit->setCursorPosition(0);
    }
}

QString FormField::text() const
{
    if (auto *combo = qobject_cast<QComboBox *>(m_editor))
        return combo->currentText();
    if (auto *edit = qobject_cast<QLineEdit *>(m_editor))
        return edit->text().trimmed();
    return {};
}

nlohmann::json FormField::value() const
{
    const QString raw = text();
    const QLocale c = QLocale::c();
    bool ok = false;
    std::optional<nlohmann::json> parsed;
    switch (m_kind) {
    case Kind::Flag: return qobject_cast<QCheckBox *>(m_editor)->isChecked();
    case Kind::Text:
    case Kind::Path:
    case Kind::Choice: return raw.toStdString();
    case Kind::StringList: {
        auto list = nlohmann::json::array();
        for (const QString &part : raw.split(',', Qt::SkipEmptyParts))
            if (!part.trimmed().isEmpty())
                list.push_back(part.trimmed().toStdString());
        return list;
    }
    case Kind::NumberMap: return parseNumberMap(raw);
    case Kind::Real:
        if (const double v = c.toDouble(raw, &ok); ok)
            parsed = v;
        break;
    case Kind::Integer:
        if (const qlonglong v = raw.toLongLong(&ok); ok)
            parsed = std::int64_t(v);
        break;
    case Kind::Unsigned:
        if (const qulonglong v = raw.toULongLong(&ok); ok)
            parsed = std::uint64_t(v);
        break;
    case Kind::IntList:
        parsed = parseList(raw, [](const QString &s, bool *ok) { return s.toLongLong(ok); });
        break;
    case Kind::RealList:
        parsed = parseList(raw, [&c](const QString &s, bool *ok) { return c.toDouble(s, ok); });
        break;
    case Kind::Options: return parseOptionsText(raw);
    case Kind::Extensions: return qobject_cast<ExtensionListEditor *>(m_editor)->value();
    }
    return parsed ? *parsed : nlohmann::json(raw.toStdString());
}

QString FormField::describeError(const QString &message, const QString &at)
{
    // The entry below this field the message is about: "data.options.<entry>" or, in a list,
    // "<key>[<index>].<entry>" (".name" is the use's name, not an option).
    QString entry;
    QString row;
    if (m_kind == Kind::Options && at.startsWith(m_key + '.')) {
        entry = at.mid(m_key.size() + 1);
    } else if (m_kind == Kind::Extensions && at.startsWith(m_key + '[')) {
        auto *list = static_cast<ExtensionListEditor *>(m_editor);
        const qsizetype close = at.indexOf(']', m_key.size());
        const int index = at.mid(m_key.size() + 1, close - m_key.size() - 1).toInt();
        list->setErrorAt(index, message);
        row = list->nameAt(index);
        if (close > 0 && at.mid(close + 1).startsWith('.') && at.mid(close + 2) != "name")
            entry = at.mid(close + 2);
    }
    if (entry.isEmpty())
        return row.isEmpty() ? message : row + ": " + message;
    const QString hint = tr("Write options as key=value, each key once, separated by commas; "
                            "quote a value with a comma: columns=\"a,b\"");
    if (row.isEmpty())
        return tr("Cannot read option \"%1\": %2. %3").arg(entry, message, hint);
    return tr("%1: cannot read option \"%2\": %3. %4").arg(row, entry, message, hint);
}

void FormField::setError(const QString &message, const QString &at)
{
    m_hasError = !message.isEmpty();
    if (auto *list = qobject_cast<ExtensionListEditor *>(m_editor))
        list->setErrorAt(-1, {});
    const QString shown = m_hasError ? describeError(message, at) : QString();
    m_error->setText(shown);
    m_error->setVisible(m_hasError);
    if (m_kind == Kind::Extensions)
        return; // the list frames the row at fault itself
    // Long options (csv's column list) do not fit the line: the tooltip has them one a line.
    m_editor->setToolTip(m_hasError || m_kind != Kind::Options ? shown : optionsTip(text()));
    m_editor->setStyleSheet(m_hasError ? QStringLiteral("%1 { border: 1px solid %2; }")
                                             .arg(m_editor->metaObject()->className(), kErrorColor)
                                       : QString());
}

} // namespace lathe::panels
