#include "panels/window/plugins_dialog.h"

#include "core/plugin/loader.h"
#include "core/plugin/registry.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <filesystem>
#include <optional>

namespace lathe::panels {

namespace {

QString joined(const std::vector<std::string> &items)
{
    QStringList list;
    for (const auto &item : items)
        list << QString::fromStdString(item);
    return list.join(", ");
}

/// The searched folders, one a line; one that does not exist says so.
QString folders()
{
    QStringList list;
    for (const auto &dir : plugin::searchedDirs()) {
        std::error_code error;
        QString line = QString::fromStdString(dir.string()).toHtmlEscaped();
        if (!std::filesystem::is_directory(dir, error))
            line += QObject::tr(" <i>(does not exist)</i>");
        list << line;
    }
    return list.join("<br>");
}

/// What the registry says of entry `name` of `kind`: its description, or a panel's title.
QString descriptionOf(plugin::Kind kind, const std::string &name)
{
    const auto &r = plugin::registry();
    std::optional<std::string> text;
    switch (kind) {
    case plugin::Kind::Dataset:
        if (auto e = r.dataset(name))
            text = e->description;
        break;
    case plugin::Kind::Model:
        if (auto e = r.model(name))
            text = e->description;
        break;
    case plugin::Kind::Metric:
        if (auto e = r.metric(name))
            text = e->description;
        break;
    case plugin::Kind::Augmentation:
        if (auto e = r.augmentation(name))
            text = e->description;
        break;
    case plugin::Kind::Schedule:
        if (auto e = r.schedule(name))
            text = e->description;
        break;
    case plugin::Kind::Panel:
        if (auto e = r.panel(name))
            text = e->title;
        break;
    }
    return QString::fromStdString(text.value_or(std::string()));
}

/// The Registered tree's columns.
enum PluginColumn { NameColumn, SourceColumn, DescriptionColumn };

/// Measures a description at its column's width, so that wrapped text gets the lines it needs
/// (QTreeView measures rows as if columns were unbounded). Other columns keep their own width.
class WrappingDelegate : public QStyledItemDelegate
{
public:
    explicit WrappingDelegate(QTreeView *view)
        : QStyledItemDelegate(view)
        , m_view(view)
    {
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        if (index.column() != DescriptionColumn)
            return QStyledItemDelegate::sizeHint(option, index);
        // The style wraps only within a valid rectangle: a width and some height.
        QStyleOptionViewItem bounded(option);
        bounded.rect.setSize(
            {m_view->header()->sectionSize(index.column()), std::max(1, option.rect.height())});
        return QStyledItemDelegate::sizeHint(bounded, index);
    }

private:
    QTreeView *m_view;
};

QString titleOf(plugin::Kind kind)
{
    switch (kind) {
    case plugin::Kind::Dataset: return QObject::tr("Dataset readers");
    case plugin::Kind::Model: return QObject::tr("Models");
    case plugin::Kind::Metric: return QObject::tr("Metrics");
    case plugin::Kind::Augmentation: return QObject::tr("Augmentations");
    case plugin::Kind::Schedule: return QObject::tr("Schedules");
    case plugin::Kind::Panel: return QObject::tr("Panels");
    }
    return {};
}

} // namespace

QWidget *PluginsDialog::createPluginsTab()
{
    auto *tab = new QWidget;
    auto *layout = new QVBoxLayout(tab);
    const auto records = plugin::loadedPlugins();
    auto *intro
        = new QLabel(records.empty() ? tr("No plugins found. Lathe looks in these folders (add one "
                                          "with --plugin-dir or $LATHE_PLUGIN_PATH):<br>%1")
                                           .arg(folders())
                                     : tr("Folders searched, in order:<br>%1").arg(folders()),
                     tab);
    intro->setObjectName(QStringLiteral("plugin-folders"));
    intro->setWordWrap(true);
    intro->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(intro);

    m_table = new QTableWidget(int(records.size()), 5, tab);
    m_table->setObjectName(QStringLiteral("plugins-table"));
    m_table->setHorizontalHeaderLabels(
        {tr("Plugin"), tr("Version"), tr("Status"), tr("Registers, or the problem"), tr("File")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    for (int row = 0; row < int(records.size()); ++row) {
        const auto &r = records[std::size_t(row)];
        const bool loaded = r.status == plugin::PluginRecord::Status::Loaded;
        const QStringList cells{r.name.empty() ? tr("?") : QString::fromStdString(r.name),
                                QString::fromStdString(r.version),
                                QString::fromLatin1(plugin::toString(r.status)),
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
    return tab;
}

QWidget *PluginsDialog::createRegisteredTab()
{
    m_registered = new QTreeWidget;
    m_registered->setObjectName(QStringLiteral("registered"));
    m_registered->setHeaderLabels({tr("Name"), tr("Source"), tr("Description")});
    m_registered->setRootIsDecorated(true);
    // Long descriptions (a metric's options) wrap; QTreeView measures rows once, so it is
    // told again when the description column changes width.
    m_registered->setWordWrap(true);
    m_registered->setItemDelegate(new WrappingDelegate(m_registered));
    connect(m_registered->header(), &QHeaderView::sectionResized, m_registered,
            [tree = m_registered] { tree->doItemsLayout(); });
    m_registered->setAlternatingRowColors(true);
    for (const plugin::Kind kind : plugin::allKinds()) {
        const auto names = plugin::registry().names(kind);
        auto *group = new QTreeWidgetItem(
            m_registered, {QStringLiteral("%1 (%2)").arg(titleOf(kind)).arg(names.size())});
        group->setData(0, Qt::UserRole, QString::fromLatin1(plugin::toString(kind)));
        group->setFirstColumnSpanned(true);
        QFont bold = group->font(0);
        bold.setBold(true);
        group->setFont(0, bold);
        for (const auto &name : names) {
            const QString source = QString::fromStdString(plugin::registry().source(kind, name));
            const QString description = descriptionOf(kind, name);
            auto *item
                = new QTreeWidgetItem(group, {QString::fromStdString(name), source, description});
            item->setToolTip(DescriptionColumn, description);
            if (source != QLatin1String(plugin::kBuiltIn))
                item->setFont(SourceColumn, bold);
        }
    }
    m_registered->expandAll();
    m_registered->resizeColumnToContents(NameColumn);
    m_registered->resizeColumnToContents(SourceColumn);
    return m_registered;
}

PluginsDialog::PluginsDialog(QWidget *parent, const QStringList &panelProblems)
    : QDialog(parent)
{
    setWindowTitle(tr("Plugins"));
    resize(960, 600);
    auto *layout = new QVBoxLayout(this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("plugins-tabs"));
    m_tabs->addTab(createPluginsTab(), tr("Plugins"));
    m_tabs->addTab(createRegisteredTab(), tr("Registered"));
    layout->addWidget(m_tabs, 1);
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
