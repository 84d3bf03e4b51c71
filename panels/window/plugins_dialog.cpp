#include "panels/window/plugins_dialog.h"

#include "core/plugin/loader.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

QString joined(const std::vector<std::string> &items)
{
    QStringList list;
    for (const auto &item : items)
        list << QString::fromStdString(item);
    return list.join(", ");
}

QString folders()
{
    QStringList list;
    for (const auto &dir : plugin::searchedDirs())
        list << QString::fromStdString(dir.string()).toHtmlEscaped();
    return list.join("<br>");
}

} // namespace

PluginsDialog::PluginsDialog(QWidget *parent, const QStringList &panelProblems)
    : QDialog(parent)
{
    setWindowTitle(tr("Plugins"));
    resize(900, 360);
    auto *layout = new QVBoxLayout(this);
    const auto records = plugin::loadedPlugins();
    auto *intro = new QLabel(records.empty()
                                 ? tr("No plugins found. Lathe looks in these folders (add one "
                                      "with --plugin-dir or $LATHE_PLUGIN_PATH):<br>%1")
                                       .arg(folders())
                                 : tr("Folders searched, in order:<br>%1").arg(folders()),
                             this);
    intro->setWordWrap(true);
    intro->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(intro);

    m_table = new QTableWidget(int(records.size()), 5, this);
    m_table->setHorizontalHeaderLabels(
        {tr("Plugin"), tr("Version"), tr("Status"), tr("Registers, or the problem"), tr("File")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    for (int row = 0; row < int(records.size()); ++row) {
        const auto &r = records[std::size_t(row)];
        const bool loaded = r.status == plugin::PluginRecord::Status::Loaded;
        const QStringList cells{
            r.name.empty() ? tr("?") : QString::fromStdString(r.name),
            QString::fromStdString(r.version), QString::fromLatin1(plugin::toString(r.status)),
            loaded ? joined(r.registered) : QString::fromStdString(r.message),
            QString::fromStdString(r.path.string())};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells[column]);
            item->setToolTip(cells[column]);
            if (!loaded && column == 2)
                item->setForeground(QColor(0xc6, 0x28, 0x28));
            m_table->setItem(row, column, item);
        }
    }
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    layout->addWidget(m_table, 1);
    if (!panelProblems.isEmpty()) {
        QStringList lines;
        for (const auto &problem : panelProblems)
            lines << problem.toHtmlEscaped();
        m_panelProblems = new QLabel(
            tr("<b>Plugin panels that failed in this window:</b><br>%1").arg(lines.join("<br>")),
            this);
        m_panelProblems->setObjectName("panel-problems");
        m_panelProblems->setWordWrap(true);
        m_panelProblems->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_panelProblems->setStyleSheet("color: #c62828");
        layout->addWidget(m_panelProblems);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

} // namespace lathe::panels
