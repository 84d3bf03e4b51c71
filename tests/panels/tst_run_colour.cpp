// One colour per run everywhere: the live curves, the Compare tab's curves and its parallel
// coordinates draw a run in runColour(id), whatever else is shown, and again after a restart.
#include "core/track/run_store.h"
#include "panels/bridge/run_list_model.h"
#include "panels/bridge/store_client.h"
#include "panels/common/plot_widget.h"
#include "panels/common/run_colour.h"
#include "panels/curves/curves_panel.h"
#include "panels/runs/parallel_coords_widget.h"
#include "panels/runs/runs_panel.h"
#include "tests/panels/named_child.h"
#include "tests/test_registry.h"

#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

using namespace lathe;
using namespace lathe::panels;

namespace {

using Colours = std::map<QString, QRgb>; // run name -> colour

// The colour of each run's curves in `plot` (names are "<run>" or "<run> · train/val").
Colours curveColours(const PlotWidget *plot)
{
    Colours out;
    for (const auto &series : plot->series())
        out[series.name.section(QStringLiteral(" · "), 0, 0)] = series.color.rgb();
    return out;
}

Colours lineColours(const ParallelCoordsWidget *coords)
{
    Colours out;
    for (const auto &line : coords->lines())
        out[line.name] = line.color.rgb();
    return out;
}

} // namespace

class TestRunColour : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::filesystem::path m_db;
    std::map<QString, std::int64_t> m_ids;

    // What a window of this store shows for the runs `names`, picked in the Runs table (as
    // the window hands the pick to the curves): the colours of the live curves, of the
    // Compare tab's curves and of its parallel coordinates.
    std::array<Colours, 3> shownColours(const QStringList &names)
    {
        StoreClient client(m_db);
        RunsPanel runs(client);
        CurvesPanel curves(client);
        runs.resize(1000, 600);
        runs.show();
        QObject::connect(&runs, &RunsPanel::selectionChanged, &curves,
                         [&](const QList<qint64> &ids) { curves.setSelection({.selected = ids}); });
        if (!QTest::qWaitForWindowExposed(&runs))
            return {};
        auto *model = runs.model();
        if (!QTest::qWaitFor([&] { return model->rowCount() == int(m_ids.size()); }))
            return {};
        auto *proxy = namedChild<QSortFilterProxyModel>(&runs, "runsProxy");
        auto *table = namedChild<QTableView>(&runs, "runsTable");
        for (qsizetype i = 0; i < names.size(); ++i) {
            const auto index = proxy->mapFromSource(model->index(model->rowOf(m_ids[names[i]]), 1));
            QTest::mouseClick(table->viewport(), Qt::LeftButton,
                              i == 0 ? Qt::NoModifier : Qt::ControlModifier,
                              table->visualRect(index).center());
        }
        auto *live = curves.chart(CurvesPanel::LossChart);
        auto *compare = namedChild<PlotWidget>(&runs, "compareCurves");
        auto *coords = namedChild<ParallelCoordsWidget>(&runs, "parallelCoords");
        const auto count = std::size_t(names.size());
        if (!QTest::qWaitFor([&] {
                return curveColours(live).size() == count && curveColours(compare).size() == count
                       && coords->lines().size() == count;
            }))
            return {};
        return {curveColours(live), curveColours(compare), lineColours(coords)};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = std::filesystem::path(m_dir.path().toStdString()) / "store.db";
        auto store = track::RunStore::open(m_db);
        QVERIFY(store.has_value());
        for (const char *name : {"alpha", "beta", "gamma", "delta"}) {
            const double lr = 0.001 * double(m_ids.size() + 1);
            auto id = (*store)->createRun(
                {.name = name,
                 .configJson = QStringLiteral(R"({"optimizer":{"lr":%1}})").arg(lr).toStdString()});
            QVERIFY(id.has_value());
            std::vector<track::MetricPoint> points;
            for (int step = 1; step <= 20; ++step)
                points.push_back({*id, "train/loss", step, step / 10.0, 0, 1.0 / step});
            points.push_back({*id, "val/accuracy", 20, 2, 0, 0.8});
            QVERIFY((*store)->addMetrics(points).has_value());
            m_ids[name] = *id;
        }
    }

    void runsHaveDistinctStableColours()
    {
        QCOMPARE(runColour(3), runColour(3));
        QSet<QRgb> colours;
        for (qint64 id = 1; id <= 30; ++id)
            colours.insert(runColour(id).rgb());
        QCOMPARE(colours.size(), 30);
    }

    // Each view draws a run in its own colour, whichever runs are shown beside it, and the
    // same after the panels are built again.
    void aRunHasOneColourInEveryViewAndAfterARestart()
    {
        const auto first = shownColours({QStringLiteral("alpha"), QStringLiteral("gamma")});
        const auto again = shownColours({QStringLiteral("gamma"), QStringLiteral("delta")});
        for (const auto &shown : {first, again}) {
            QVERIFY(!shown[0].empty());
            for (const auto &view : shown)
                for (const auto &[name, rgb] : view)
                    QCOMPARE(QColor(rgb), runColour(m_ids[name]));
        }
        // gamma was shown beside alpha, then beside delta: its colour stayed.
        QCOMPARE(first[0].at(QStringLiteral("gamma")), again[0].at(QStringLiteral("gamma")));
        QVERIFY(first[0].at(QStringLiteral("alpha")) != first[0].at(QStringLiteral("gamma")));
    }
};

LATHE_TEST_MAIN(TestRunColour)
#include "tst_run_colour.moc"
