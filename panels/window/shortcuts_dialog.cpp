#include "panels/window/shortcuts_dialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

QString plain(QString text)
{
    return text.remove('&');
}

/// Appends a row per action of `menu` (titled `title`), recursing into submenus.
void addRows(QTableWidget *table, const QString &title, const QMenu *menu)
{
    for (QAction *action : menu->actions()) {
        if (action->isSeparator())
            continue;
        if (action->menu()) {
            addRows(table, title + " → " + plain(action->text()), action->menu());
            continue;
        }
        QStringList keys;
        for (const auto &key : action->shortcuts())
            keys << key.toString(QKeySequence::NativeText);
        const int row = table->rowCount();
        table->insertRow(row);
        table->setItem(row, 0, new QTableWidgetItem(title));
        table->setItem(row, 1, new QTableWidgetItem(plain(action->text())));
        table->setItem(row, 2, new QTableWidgetItem(keys.join(", ")));
    }
}

} // namespace

ShortcutsDialog::ShortcutsDialog(const QMenuBar *menus, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Keyboard shortcuts"));
    auto *table = new QTableWidget(0, 3, this);
    table->setObjectName("shortcuts-table");
    table->setHorizontalHeaderLabels({tr("Menu"), tr("Action"), tr("Shortcut")});
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->hide();
    for (QAction *top : menus->actions())
        if (top->menu())
            addRows(table, plain(top->text()), top->menu());
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(table, 1);
    layout->addWidget(buttons);
    resize(560, 640);
}

} // namespace lathe::panels
