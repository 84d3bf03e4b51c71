#include "panels/hyperparams/extension_list_editor.h"

#include "core/plugin/registry.h"
#include "panels/hyperparams/options_text.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>

namespace lathe::panels {

namespace {

constexpr auto kNameKey = "name";

QString tipOf(const ExtensionChoice &choice)
{
    QString tip = choice.description;
    if (choice.source != QLatin1String(plugin::kBuiltIn))
        tip += (tip.isEmpty() ? "" : "\n") + QObject::tr("From the plugin %1").arg(choice.source);
    return tip;
}

} // namespace

ExtensionListEditor::ExtensionListEditor(const QString &key, std::vector<ExtensionChoice> choices,
                                         QWidget *parent)
    : QWidget(parent)
{
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setColumnStretch(2, 1);
    for (auto &choice : choices)
        addRow(key, std::move(choice));
    if (m_rows.empty())
        grid->addWidget(new QLabel(tr("None registered")), 0, 0);
}

void ExtensionListEditor::addRow(const QString &key, ExtensionChoice choice)
{
    auto *grid = static_cast<QGridLayout *>(layout());
    const int line = int(m_rows.size());
    const QString tip = tipOf(choice);
    Row row{std::move(choice), new QCheckBox, new QLineEdit};
    row.check->setText(row.choice.name);
    row.check->setObjectName(key + '/' + row.choice.name);
    row.check->setToolTip(tip);
    row.options->setObjectName(key + '/' + row.choice.name + "/options");
    row.options->setPlaceholderText(tr("key=value, key=value"));
    row.options->setToolTip(tip);
    row.options->setEnabled(false);
    grid->addWidget(row.check, line, 0);
    if (row.choice.source != QLatin1String(plugin::kBuiltIn)) {
        auto *source = new QLabel(tr("%1 plugin").arg(row.choice.source));
        source->setObjectName(key + '/' + row.choice.name + "/source");
        source->setToolTip(tip);
        QFont italic = source->font();
        italic.setItalic(true);
        source->setFont(italic);
        source->setForegroundRole(QPalette::PlaceholderText);
        grid->addWidget(source, line, 1);
    }
    grid->addWidget(row.options, line, 2);
    QLineEdit *options = row.options;
    connect(row.check, &QCheckBox::clicked, this, [this, options](bool checked) {
        options->setEnabled(checked);
        Q_EMIT edited();
    });
    connect(row.options, &QLineEdit::textEdited, this, &ExtensionListEditor::edited);
    m_rows.push_back(std::move(row));
}

int ExtensionListEditor::rowOf(const nlohmann::json &use) const
{
    if (!use.is_object() || !use.contains(kNameKey) || !use[kNameKey].is_string())
        return -1;
    const QString name = QString::fromStdString(use[kNameKey].get<std::string>());
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].choice.name == name)
            return int(i);
    }
    return -1;
}

void ExtensionListEditor::setValue(const nlohmann::json &list)
{
    m_shown = list.is_array() ? list : nlohmann::json::array();
    for (Row &row : m_rows) {
        row.check->setChecked(false);
        row.options->clear();
        row.options->setEnabled(false);
    }
    for (const auto &use : m_shown) {
        const int r = rowOf(use);
        if (r < 0 || m_rows[std::size_t(r)].check->isChecked())
            continue; // kept as it is (see order())
        Row &row = m_rows[std::size_t(r)];
        row.check->setChecked(true);
        row.options->setEnabled(true);
        row.options->setText(formatOptionsText(use, {kNameKey}));
        row.options->setCursorPosition(0);
    }
}

std::vector<int> ExtensionListEditor::order() const
{
    std::vector<int> out;
    std::vector<bool> seen(m_rows.size(), false);
    for (std::size_t i = 0; i < m_shown.size(); ++i) {
        const int r = rowOf(m_shown[i]);
        if (r >= 0 && !seen[std::size_t(r)]) {
            seen[std::size_t(r)] = true;
            if (m_rows[std::size_t(r)].check->isChecked())
                out.push_back(r);
        } else {
            out.push_back(-1 - int(i));
        }
    }
    for (std::size_t r = 0; r < m_rows.size(); ++r) {
        if (!seen[r] && m_rows[r].check->isChecked())
            out.push_back(int(r));
    }
    return out;
}

nlohmann::json ExtensionListEditor::value() const
{
    auto list = nlohmann::json::array();
    for (const int r : order()) {
        if (r < 0) {
            list.push_back(m_shown[std::size_t(-1 - r)]);
            continue;
        }
        const Row &row = m_rows[std::size_t(r)];
        auto use = parseOptionsText(row.options->text(), {kNameKey});
        use[kNameKey] = row.choice.name.toStdString();
        list.push_back(std::move(use));
    }
    return list;
}

QString ExtensionListEditor::nameAt(int index) const
{
    const auto entries = order();
    if (index < 0 || index >= int(entries.size()) || entries[std::size_t(index)] < 0)
        return {};
    return m_rows[std::size_t(entries[std::size_t(index)])].choice.name;
}

void ExtensionListEditor::setErrorAt(int index, const QString &message)
{
    const auto entries = order();
    const int marked = index >= 0 && index < int(entries.size()) ? entries[std::size_t(index)] : -1;
    for (std::size_t r = 0; r < m_rows.size(); ++r) {
        Row &row = m_rows[r];
        const bool bad = int(r) == marked;
        row.options->setToolTip(bad ? message : tipOf(row.choice));
        row.options->setStyleSheet(bad ? QStringLiteral("QLineEdit { border: 1px solid #c62828; }")
                                       : QString());
    }
}

} // namespace lathe::panels
