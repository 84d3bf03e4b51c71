#include "panels/hyperparams/form_field.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleValidator>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

#include <optional>

namespace lathe::panels {

namespace {

constexpr auto kErrorColor = "#c62828";

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

} // namespace

FormField::FormField(QString key, Kind kind, QStringList choices, QObject *parent)
    : QObject(parent)
    , m_key(std::move(key))
    , m_kind(kind)
{
    m_row = new QWidget;
    auto *layout = new QVBoxLayout(m_row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_editor = createEditor(choices);
    m_editor->setObjectName(m_key);
    m_error = new QLabel;
    m_error->setObjectName(m_key + ".error");
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(kErrorColor));
    m_error->hide();
    layout->addWidget(m_editor);
    layout->addWidget(m_error);
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
    default: break;
    }
    connect(edit, &QLineEdit::textEdited, this, &FormField::edited);
    return edit;
}

void FormField::setValue(const nlohmann::json &value)
{
    if (auto *combo = qobject_cast<QComboBox *>(m_editor)) {
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
    case Kind::Choice: return raw.toStdString();
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
    }
    return parsed ? *parsed : nlohmann::json(raw.toStdString());
}

void FormField::setError(const QString &message)
{
    m_hasError = !message.isEmpty();
    m_error->setText(message);
    m_error->setVisible(m_hasError);
    m_editor->setToolTip(message);
    m_editor->setStyleSheet(m_hasError ? QStringLiteral("%1 { border: 1px solid %2; }")
                                             .arg(m_editor->metaObject()->className(), kErrorColor)
                                       : QString());
}

} // namespace lathe::panels
