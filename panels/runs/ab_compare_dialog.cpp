#include "panels/runs/ab_compare_dialog.h"

#include "panels/bridge/store_client.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace lathe::panels {

namespace {

constexpr auto kBetterColour = "#2e7d32";
constexpr auto kWorseColour = "#c62828";
/// The verdict stands out as the answer; %1 is its colour.
constexpr auto kVerdictStyle = "QLabel { font-weight: bold; padding: 6px; border: 1px solid "
                               "palette(mid); background: palette(base); color: %1; }";

/// "1 run", "5 runs".
QString runsText(std::size_t count)
{
    return count == 1 ? QObject::tr("1 run") : QObject::tr("%1 runs").arg(count);
}

/// "91.23 ± 0.41 (5 runs)" in the metric's unit (points for an accuracy), "—" without values.
QString summaryText(const stats::Summary &s, const stats::VerdictWords &words)
{
    if (s.count == 0)
        return QStringLiteral("—");
    const int decimals = words.scale > 1 ? 2 : 4;
    const QString mean = QString::number(s.mean * words.scale, 'f', decimals);
    const QString runs = "(" + runsText(s.count) + ")";
    if (s.count == 1)
        return mean + " " + runs;
    return QStringLiteral("%1 ± %2 %3")
        .arg(mean, QString::number(s.stddev * words.scale, 'f', decimals), runs);
}

/// "+0.34 (0.12 to 0.56) points": B − A and its 95% interval; "—" below 2 runs a side.
QString differenceText(const compare::MetricComparison &m)
{
    if (!m.welch)
        return QStringLiteral("—");
    const int decimals = m.words.scale > 1 ? 2 : 4;
    const auto number = [&](double v, bool sign = false) {
        const QString text = QString::number(v * m.words.scale, 'f', decimals);
        return sign && v >= 0 ? "+" + text : text;
    };
    return QStringLiteral("%1 (%2 to %3) %4")
        .arg(number(m.welch->difference, true), number(m.welch->low), number(m.welch->high),
             QString::fromStdString(m.words.unit))
        .trimmed();
}

QString pText(const std::optional<double> &p)
{
    return p ? QString::number(*p, 'g', 3) : QStringLiteral("—");
}

/// A side's distinct values: "sgd | adamw".
QString joinedValues(const std::vector<std::string> &values)
{
    QStringList list;
    for (const auto &value : values)
        list.append(QString::fromStdString(value));
    return list.join(QStringLiteral(" | "));
}

QTableWidget *table(const QString &name, const QStringList &headers, QWidget *parent)
{
    auto *t = new QTableWidget(0, int(headers.size()), parent);
    t->setObjectName(name);
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionMode(QAbstractItemView::NoSelection);
    t->setWordWrap(false);
    t->setFocusPolicy(Qt::NoFocus); // nothing to pick or edit: no focus frame on a cell
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

/// The table as tall as its rows (up to `maxRows`), so the dialog has no empty space in it.
void fitRows(QTableWidget *t, int maxRows)
{
    const int rows = std::min(t->rowCount(), maxRows);
    const int height = t->horizontalHeader()->height() + 2 * t->frameWidth()
                       + rows * t->verticalHeader()->defaultSectionSize();
    t->setFixedHeight(height + (t->rowCount() > maxRows ? 0 : 2));
}

} // namespace

AbCompareDialog::AbCompareDialog(StoreClient &store, compare::SideRef a, compare::SideRef b,
                                 QWidget *parent)
    : QDialog(parent)
    , m_store(store)
    , m_a(std::move(a))
    , m_b(std::move(b))
{
    setObjectName("abCompareDialog");
    setWindowTitle(tr("Compare A/B"));
    buildUi();
    refresh();
}

void AbCompareDialog::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    m_sides = new QLabel(this);
    m_sides->setObjectName("abSides");
    m_sides->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdict = new QLabel(tr("Reading the runs…"), this);
    m_verdict->setObjectName("abVerdict");
    m_verdict->setTextFormat(Qt::PlainText);
    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_repeat = new QPushButton(tr("Repeat ×%1").arg(kRepeatCount), this);
    m_repeat->setObjectName("abRepeat");
    m_repeat->setToolTip(tr("Train the run that stands alone on its side %1 times (seeds from "
                            "its own up), as one repeat group: lathe-cli train --repeat %1")
                             .arg(kRepeatCount));
    m_repeat->hide();
    connect(m_repeat, &QPushButton::clicked, this, &AbCompareDialog::requestRepeat);
    m_metrics = table("abMetrics",
                      {tr("Metric"), tr("A"), tr("B"), tr("B − A (95% CI)"), tr("p (Welch)"),
                       tr("p (permutation)")},
                      this);
    m_sameConfig = new QLabel(tr("Config keys that differ (the seed aside):"), this);
    m_differences = table("abConfigDiff", {tr("Key"), tr("A"), tr("B")}, this);
    // The sides' values share the width beside the keys.
    m_differences->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_differences->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_environment = new QLabel(this);
    m_environment->setObjectName("abEnvironment");
    m_environment->setWordWrap(true);
    m_environment->setStyleSheet(QStringLiteral("QLabel { font-weight: bold; }"));
    m_environment->hide();
    m_environmentDiff = table("abEnvironmentDiff", {tr("Where they ran"), tr("A"), tr("B")}, this);
    m_environmentDiff->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_environmentDiff->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_environmentDiff->hide();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *again = buttons->addButton(tr("Refresh"), QDialogButtonBox::ActionRole);
    again->setObjectName("abRefresh");
    connect(again, &QPushButton::clicked, this, &AbCompareDialog::refresh);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_sides);
    layout->addWidget(m_verdict);
    layout->addWidget(m_repeat, 0, Qt::AlignLeft);
    layout->addWidget(m_metrics);
    layout->addWidget(m_sameConfig);
    layout->addWidget(m_differences);
    layout->addWidget(m_environment);
    layout->addWidget(m_environmentDiff);
    layout->addStretch(1);
    layout->addWidget(buttons);
    resize(860, 360);
}

void AbCompareDialog::refresh()
{
    m_store.query(
        this,
        [a = m_a, b = m_b](track::RunStore &store) { return compare::compareSides(store, a, b); },
        [this](const Result<compare::Comparison> &result) {
            if (result)
                showComparison(*result);
            else
                showError(QString::fromStdString(result.error().toString()));
        });
}

void AbCompareDialog::followGroup(qint64 runId, const QString &group)
{
    if (runId == 0 || !m_comparison)
        return; // the group of a config given whole, not of a run here
    for (auto [ref, side] : {std::pair{&m_a, &m_comparison->a}, std::pair{&m_b, &m_comparison->b}})
        if (side->runIds == std::vector<std::int64_t>{runId})
            *ref = {0, {"repeat"}, {group.toStdString()}};
}

void AbCompareDialog::showError(const QString &message)
{
    m_verdict->setText(tr("Cannot compare: %1").arg(message));
    m_verdict->setStyleSheet(QString::fromLatin1(kVerdictStyle).arg(kWorseColour));
}

void AbCompareDialog::showComparison(const compare::Comparison &c)
{
    const auto side = [](const char *name, const compare::Side &s) {
        return QStringLiteral("<b>%1</b>: %2 (%3)")
            .arg(name, QString::fromStdString(s.label).toHtmlEscaped(), runsText(s.runIds.size()));
    };
    m_sides->setText(side("A", c.a) + "<br>" + side("B", c.b));
    const auto ids = [](const char *name, const compare::Side &s) {
        QStringList list;
        for (const auto id : s.runIds)
            list.append(QString::number(id));
        return (s.runIds.size() == 1 ? tr("%1: run %2") : tr("%1: runs %2"))
            .arg(name, list.join(", "));
    };
    m_sides->setToolTip(ids("A", c.a) + "\n" + ids("B", c.b));
    m_verdict->setStyleSheet(QString::fromLatin1(kVerdictStyle).arg("palette(text)"));
    m_verdict->setText(c.headline < 0
                           ? tr("No run of either side has a final metric yet")
                           : QString::fromStdString(c.metrics[std::size_t(c.headline)].verdict));
    m_comparison = c;
    m_repeat->setVisible(!aloneOnASide().isEmpty());
    fillMetrics(c.metrics);
    fillDifferences(c.configDifferences);
    fillEnvironment(c.environment);
    if (!m_fitted) {
        // The first answer sets the height: the tables' rows, no empty space below them.
        m_fitted = true;
        resize(width(), sizeHint().height());
    }
}

void AbCompareDialog::fillMetrics(const std::vector<compare::MetricComparison> &metrics)
{
    m_metrics->setRowCount(int(metrics.size()));
    for (int row = 0; row < int(metrics.size()); ++row) {
        const auto &m = metrics[std::size_t(row)];
        const auto p
            = [](const auto &test) { return test ? std::optional(test->pValue) : std::nullopt; };
        const QStringList cells{QString::fromStdString(m.label),
                                summaryText(m.summaryA, m.words),
                                summaryText(m.summaryB, m.words),
                                differenceText(m),
                                pText(p(m.welch)),
                                pText(p(m.permutation))};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells[column]);
            item->setToolTip(QString::fromStdString(m.verdict));
            m_metrics->setItem(row, column, item);
        }
        // A difference whose interval leaves out 0: green where B is better, red where worse.
        if (m.welch && (m.welch->low > 0 || m.welch->high < 0)) {
            const bool bBetter = (m.welch->difference > 0) == m.words.higherIsBetter;
            m_metrics->item(row, 3)->setForeground(QColor(bBetter ? kBetterColour : kWorseColour));
        }
    }
    fitRows(m_metrics, 8);
}

void AbCompareDialog::fillDifferences(const std::vector<compare::ConfigDifference> &differences)
{
    m_sameConfig->setText(differences.empty()
                              ? tr("The sides' configs are the same (the seed aside).")
                              : tr("Config keys that differ (the seed aside):"));
    m_differences->setVisible(!differences.empty());
    m_differences->setRowCount(int(differences.size()));
    for (int row = 0; row < int(differences.size()); ++row) {
        const auto &d = differences[std::size_t(row)];
        const QStringList cells{QString::fromStdString(d.key), joinedValues(d.a),
                                joinedValues(d.b)};
        for (int column = 0; column < cells.size(); ++column)
            m_differences->setItem(row, column, new QTableWidgetItem(cells[column]));
    }
    fitRows(m_differences, 10);
}

void AbCompareDialog::fillEnvironment(const compare::EnvironmentGroupDiff &environment)
{
    // Shown only when the sides ran differently: "Same config, the groups ran on different CPU".
    auto summary = QString::fromStdString(environment.summary);
    if (!summary.isEmpty())
        summary[0] = summary[0].toUpper();
    m_environment->setText(summary + (summary.isEmpty() ? "" : ":"));
    m_environment->setToolTip(tr("What each side's runs recorded of where they ran (their latest "
                                 "attempt): a difference here can explain a difference in the "
                                 "metrics as well as the config can"));
    m_environment->setVisible(!summary.isEmpty());
    m_environmentDiff->setVisible(!environment.rows.empty());
    m_environmentDiff->setRowCount(int(environment.rows.size()));
    for (int row = 0; row < int(environment.rows.size()); ++row) {
        const auto &r = environment.rows[std::size_t(row)];
        const QStringList cells{QString::fromStdString(r.aspect), joinedValues(r.a),
                                joinedValues(r.b)};
        for (int column = 0; column < cells.size(); ++column) {
            auto *item = new QTableWidgetItem(cells[column]);
            item->setToolTip(cells[column]); // a long CPU name is elided in its cell
            m_environmentDiff->setItem(row, column, item);
        }
    }
    fitRows(m_environmentDiff, 6);
}

QList<qint64> AbCompareDialog::aloneOnASide() const
{
    QList<qint64> ids;
    if (m_comparison)
        for (const auto *side : {&m_comparison->a, &m_comparison->b})
            if (side->runIds.size() == 1)
                ids.append(side->runIds.front());
    return ids;
}

void AbCompareDialog::requestRepeat()
{
    m_repeat->setEnabled(false);
    m_repeat->setText(tr("Repeating… (the status bar shows its progress)"));
    Q_EMIT repeatRequested(aloneOnASide(), kRepeatCount);
}

} // namespace lathe::panels
