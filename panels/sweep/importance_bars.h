#pragma once

#include <QString>
#include <QWidget>

#include <utility>
#include <vector>

namespace lathe::panels {

/// Parameter importance as horizontal bars, most important on top: the key, a bar as long as
/// its share of the largest, and the share in per cent. Shows a sentence instead when there is
/// nothing to rank (setEmptyText). GUI thread only.
class ImportanceBars : public QWidget
{
    Q_OBJECT

public:
    explicit ImportanceBars(QWidget *parent = nullptr);

    /// The keys with their importance in [0, 1], in the order to draw them.
    void setImportance(std::vector<std::pair<QString, double>> items);
    const std::vector<std::pair<QString, double>> &importance() const { return m_items; }
    /// Shown when there are no items ("3 completed trials are needed: 1 so far").
    void setEmptyText(const QString &text);
    QString emptyText() const { return m_emptyText; }

    QSize sizeHint() const override { return {360, 200}; }
    QSize minimumSizeHint() const override { return {200, 80}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::vector<std::pair<QString, double>> m_items;
    QString m_emptyText;
};

} // namespace lathe::panels
