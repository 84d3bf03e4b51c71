#include "panels/errors/robustness_view.h"

#include "core/robust/robustness_record.h"
#include "panels/bridge/inspect_session.h"
#include "panels/bridge/store_client.h"
#include "panels/errors/robustness_curve.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

/// "0, 0.05, 0.1" as numbers in [0, 1], ascending, 0 added; nullopt-like empty on a bad item.
QList<double> parseEpsilons(const QString &text, QString &error)
{
    QList<double> out{0.0};
    for (const auto &item : text.split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const double value = item.trimmed().toDouble(&ok);
        if (!ok || value < 0.0 || value > 1.0) {
            error = QObject::tr("\"%1\" is not an epsilon in [0, 1] (pixel units)")
                        .arg(item.trimmed());
            return {};
        }
        if (!out.contains(value))
            out.append(value);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

RobustnessView::RobustnessView(InspectSession &session, StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_store(store)
{
    buildUi();
    connectSession();
    setKey({0, {}});
}

void RobustnessView::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_eps = new QLineEdit(QStringLiteral("0.02, 0.05, 0.1, 0.2"), this);
    m_eps->setObjectName(QStringLiteral("robustness-eps"));
    m_eps->setToolTip(tr("L-infinity radii in pixel units (images in [0, 1]); 0, the clean "
                         "accuracy, is always included"));
    m_steps = new QSpinBox(this);
    m_steps->setObjectName(QStringLiteral("robustness-steps"));
    m_steps->setRange(1, 1000);
    m_steps->setValue(20);
    m_limit = new QSpinBox(this);
    m_limit->setObjectName(QStringLiteral("robustness-limit"));
    m_limit->setRange(10, 1000000);
    m_limit->setSingleStep(100);
    m_limit->setValue(500);
    form->addRow(tr("Epsilons:"), m_eps);
    form->addRow(tr("PGD steps:"), m_steps);
    form->addRow(tr("Test samples:"), m_limit);
    layout->addLayout(form);

    auto *row = new QHBoxLayout;
    m_attack = new QPushButton(tr("Attack"), this);
    m_attack->setObjectName(QStringLiteral("robustness-attack"));
    m_attack->setToolTip(tr("PGD with a random start on the checkpoint's test samples; stored "
                            "with the run, as lathe-cli robustness does"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("robustness-cancel"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("robustness-progress"));
    row->addWidget(m_attack);
    row->addWidget(m_progress, 1);
    row->addWidget(m_cancel);
    layout->addLayout(row);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("robustness-status"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    m_table = new QTableWidget(0, 2, this);
    m_table->setObjectName(QStringLiteral("robustness-table"));
    m_table->setHorizontalHeaderLabels({tr("Epsilon"), tr("Accuracy")});
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_curve = new RobustnessCurve(this);
    m_curve->setObjectName(QStringLiteral("robustness-curve"));
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_curve);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_attack, &QPushButton::clicked, this, &RobustnessView::compute);
    connect(m_cancel, &QPushButton::clicked, this, &RobustnessView::cancel);
}

void RobustnessView::connectSession()
{
    connect(&m_session, &InspectSession::robustnessReady, this, &RobustnessView::onReady);
    connect(&m_session, &InspectSession::progress, this,
            [this](quint64 id, qint64 done, qint64 total) {
                if (id != m_computeId)
                    return;
                m_progress->setRange(0, int(std::max<qint64>(total, 1)));
                m_progress->setValue(int(done));
            });
    connect(&m_session, &InspectSession::failed, this, &RobustnessView::onEnded);
    connect(&m_session, &InspectSession::cancelled, this,
            [this](quint64 id) { onEnded(id, tr("Cancelled")); });
}

void RobustnessView::setKey(const InspectKey &key)
{
    if (m_computeId)
        m_session.cancel(m_computeId);
    m_key = key;
    m_computeId = 0;
    m_points.clear();
    m_table->setRowCount(0);
    m_curve->setPoints({}, key.runId ? tr("Press Attack to measure accuracy against epsilon")
                                     : tr("Select a run to attack its checkpoint"));
    m_status->clear();
    setComputing(false);
    ++m_keySerial;
    if (key.runId)
        loadStored();
}

// The checkpoint's latest stored result, read on the store's thread; shown unless the key
// changed or an evaluation started meanwhile.
void RobustnessView::loadStored()
{
    struct Stored
    {
        QList<QPointF> points;
        QString text;
    };
    const InspectKey key = m_key;
    m_store.query(
        this,
        [runId = key.runId,
         checkpoint = key.checkpoint.toStdString()](track::RunStore &store) -> Result<Stored> {
            auto payload = robust::latestRobustness(store, runId, checkpoint);
            if (!payload)
                return std::unexpected(payload.error());
            if (payload->is_null())
                return Stored{};
            auto points = robust::robustPointsFromJson(*payload);
            if (!points)
                return std::unexpected(points.error());
            Stored out;
            for (const auto &p : *points)
                out.points.append(QPointF(p.epsilon, p.accuracy));
            out.text = tr("Stored result of %1: %2-%3 on %4 test samples (epsilon 0 is the clean "
                          "accuracy); Attack measures again")
                           .arg(QString::fromStdString(checkpoint))
                           .arg(QString::fromStdString(payload->value("attack", "pgd")).toUpper())
                           .arg(payload->value("steps", std::int64_t(0)))
                           .arg(payload->value("samples", std::int64_t(0)));
            return out;
        },
        [this, serial = m_keySerial](const Result<Stored> &stored) {
            if (serial != m_keySerial || m_computeId)
                return;
            if (!stored) {
                m_status->setText(QString::fromStdString(stored.error().toString()));
                Q_EMIT storedLoaded(false);
                return;
            }
            if (!stored->points.isEmpty()) {
                showPoints(stored->points);
                m_status->setText(stored->text);
            }
            Q_EMIT storedLoaded(!stored->points.isEmpty());
        });
}

void RobustnessView::showPoints(const QList<QPointF> &points)
{
    m_points = points;
    m_table->setRowCount(int(points.size()));
    for (int i = 0; i < points.size(); ++i) {
        m_table->setItem(i, 0, new QTableWidgetItem(QString::number(points[i].x(), 'g', 4)));
        m_table->setItem(i, 1,
                         new QTableWidgetItem(QString::number(points[i].y() * 100, 'f', 2) + " %"));
    }
    m_curve->setPoints(points);
}

void RobustnessView::compute()
{
    if (m_key.runId == 0 || m_computeId)
        return;
    QString error;
    const auto epsilons = parseEpsilons(m_eps->text(), error);
    if (epsilons.isEmpty()) {
        m_status->setText(error);
        return;
    }
    m_computeId = m_session.computeRobustness(m_key, epsilons, m_steps->value(), m_limit->value());
    m_status->setText(tr("Attacking %1 with PGD-%2…").arg(m_key.checkpoint).arg(m_steps->value()));
    setComputing(true);
}

void RobustnessView::cancel()
{
    if (m_computeId)
        m_session.cancel(m_computeId);
}

void RobustnessView::onReady(quint64 id, const QList<QPointF> &points, qint64 samples)
{
    if (id != m_computeId)
        return;
    m_computeId = 0;
    showPoints(points);
    m_status->setText(tr("%1: PGD-%2 on %3 test samples (epsilon 0 is the clean accuracy)")
                          .arg(m_key.checkpoint)
                          .arg(m_steps->value())
                          .arg(samples));
    setComputing(false);
    Q_EMIT computeFinished();
}

void RobustnessView::onEnded(quint64 id, const QString &message)
{
    if (id != m_computeId)
        return;
    m_computeId = 0;
    m_status->setText(message);
    setComputing(false);
    Q_EMIT computeFinished();
}

void RobustnessView::setComputing(bool on)
{
    m_attack->setEnabled(!on && m_key.runId != 0);
    m_cancel->setEnabled(on);
    m_progress->setVisible(on);
    if (on)
        m_progress->setRange(0, 0);
}

} // namespace lathe::panels
