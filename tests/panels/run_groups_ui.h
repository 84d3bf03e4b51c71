// Driving the Runs panel's "Group by" as a user does, and finding a group row of its tree.
#pragma once

#include "panels/runs/run_group_model.h"
#include "panels/runs/runs_panel.h"
#include "tests/panels/named_child.h"

#include <QComboBox>
#include <QLineEdit>
#include <QtTest>

#include <algorithm>
#include <cstdint>
#include <vector>

/// Types `key` into the Runs panel's "Group by" combo `combo` ("groupByCombo", "thenByCombo")
/// and presses Enter.
inline void groupBy(lathe::panels::RunsPanel &panel, const char *combo, const QString &key)
{
    auto *edit = namedChild<QComboBox>(&panel, combo)->lineEdit();
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(edit, key);
    QTest::keyClick(edit, Qt::Key_Return);
}

/// The top-level row of the tree's model `tree` whose member runs are `ids` (invalid when none
/// is).
inline QModelIndex groupRow(const QAbstractItemModel &tree, const std::vector<std::int64_t> &ids)
{
    QList<qint64> wanted(ids.begin(), ids.end());
    std::sort(wanted.begin(), wanted.end());
    for (int row = 0; row < tree.rowCount(); ++row) {
        const auto index = tree.index(row, 0);
        auto members
            = index.data(lathe::panels::RunGroupModel::MemberIdsRole).value<QList<qint64>>();
        std::sort(members.begin(), members.end());
        if (members == wanted)
            return index;
    }
    return {};
}
