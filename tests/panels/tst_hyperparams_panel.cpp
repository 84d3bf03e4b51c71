// The Hyperparameters panel driven through its real widgets: the schedule plot follows edits,
// core's validation messages appear next to the field, schedule parameters show and hide with
// the type, configs round-trip through files, and the LR finder's suggestion lands in the form.
#include "core/plugin/loader.h"
#include "panels/common/plot_widget.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/hyperparams/lr_finder_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;

namespace {

train::RunConfig defaultConfig()
{
    auto config = train::loadRunConfig(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
    if (!config)
        qFatal("%s", config.error().toString().c_str());
    config->data.path = LATHE_TEST_FASHION_DIR;
    return *config;
}

/// Replaces a line edit's text by typing, as a user would (select all, then type).
void retype(QLineEdit *edit, const QString &text)
{
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(edit, text);
}

template<typename T>
T *child(QWidget &parent, const QString &name)
{
    auto *widget = parent.findChild<T *>(name);
    if (!widget)
        qFatal("no child %s", qPrintable(name));
    return widget;
}

bool shown(QWidget &panel, const QString &key)
{
    return child<QWidget>(panel, key)->isVisibleTo(&panel);
}

} // namespace

class TestHyperparamsPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void scheduleFollowsEpochs()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        QSignalSpy changed(&panel, &HyperparamsPanel::configChanged);
        auto *plot = child<PlotWidget>(panel, "schedulePlot");
        QCOMPARE(plot->series().size(), std::size_t(1));
        const auto before = plot->series()[0].points;
        // 60,000 - 5% validation = 57,000 samples / 128 = 446 steps per epoch, 10 epochs.
        QCOMPARE(before.back().x, 4459.0);
        QCOMPARE(before.size(), std::size_t(400));

        retype(child<QLineEdit>(panel, "training.epochs"), "20");
        const auto after = plot->series()[0].points;
        QCOMPARE(after.back().x, 8919.0);
        QVERIFY(after.size() == before.size());
        // One-cycle: the peak moves with the run length.
        const auto peak = [](const std::vector<track::SeriesPoint> &points) {
            return std::max_element(points.begin(), points.end(),
                                    [](auto a, auto b) { return a.y < b.y; })
                ->x;
        };
        QVERIFY(peak(after) > 1.9 * peak(before));
        QCOMPARE(panel.config().training.epochs, std::int64_t(20));
        QVERIFY(changed.count() >= 1);
        QCOMPARE(changed.last().at(0).value<train::RunConfig>().training.epochs, std::int64_t(20));
        QVERIFY(child<QLabel>(panel, "scheduleCaption")->text().contains("8,920 steps"));
    }

    void invalidLrShowsMessageAndBlocksStart()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        QVERIFY(panel.isValid());
        QSignalSpy validity(&panel, &HyperparamsPanel::validityChanged);
        auto *lr = child<QLineEdit>(panel, "optimizer.lr");
        auto *message = child<QLabel>(panel, "optimizer.lr.error");
        QVERIFY(!message->isVisibleTo(&panel));

        retype(lr, "-1");
        QVERIFY(!panel.isValid());
        QCOMPARE(validity.count(), 1);
        QCOMPARE(validity.last().at(0).toBool(), false);
        // The message is core's own, next to the field, and in the tooltip.
        auto json = defaultConfig().toJson();
        json["optimizer"]["lr"] = -1.0;
        const auto expected
            = QString::fromStdString(train::RunConfig::fromJson(json).error().message);
        QVERIFY(message->isVisibleTo(&panel));
        QCOMPARE(message->text(), expected);
        QVERIFY(expected.contains("out of range"));
        QCOMPARE(lr->toolTip(), expected);
        QVERIFY(!lr->styleSheet().isEmpty());
        QVERIFY(child<QLabel>(panel, "configStatus")->text().contains("optimizer.lr"));
        QCOMPARE(panel.config().optimizer.lr, 0.003); // the last valid config is kept
        QVERIFY(!child<QPushButton>(panel, "findLr")->isEnabled());

        retype(lr, "3e-4");
        QVERIFY(panel.isValid());
        QCOMPARE(validity.last().at(0).toBool(), true);
        QVERIFY(!message->isVisibleTo(&panel));
        QVERIFY(lr->styleSheet().isEmpty());
        QCOMPARE(panel.config().optimizer.lr, 3e-4);
        QCOMPARE(child<QLabel>(panel, "configStatus")->text(), QString("Config is valid"));
    }

    void unparsableTextIsReportedByCore()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        retype(child<QLineEdit>(panel, "model.widths"), "24, , x");
        // The validator refuses the letter; "24, , " is a list of one width.
        QCOMPARE(child<QLineEdit>(panel, "model.widths")->text(), QString("24, , "));
        QVERIFY(panel.isValid());
        QVERIFY(panel.config().model.widths == std::vector<std::int64_t>{24});
        auto *batch = child<QLineEdit>(panel, "training.batch_size");
        retype(batch, "1");
        QTest::keyClick(batch, Qt::Key_Backspace);
        QCOMPARE(batch->text(), QString());
        QVERIFY(!panel.isValid());
        auto *message = child<QLabel>(panel, "training.batch_size.error");
        QVERIFY(message->isVisibleTo(&panel));
        QVERIFY(message->text().contains("expected an integer in [1, 65536]"));
    }

    void inspectionSettingsReachTheConfig()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        retype(child<QLineEdit>(panel, "histograms.every"), "50");
        QCOMPARE(panel.config().histograms.every, 50);
        retype(child<QLineEdit>(panel, "histograms.bins"), "1");
        QVERIFY(!panel.isValid());
        QVERIFY(child<QLabel>(panel, "histograms.bins.error")->text().contains("[2, 1024]"));
        retype(child<QLineEdit>(panel, "histograms.bins"), "32");
        QVERIFY(panel.isValid());
        QCOMPARE(panel.config().histograms.bins, 32);
        auto *keep = child<QCheckBox>(panel, "training.keep_epoch_checkpoints");
        QVERIFY(keep->isChecked());
        QTest::mouseClick(keep, Qt::LeftButton, {}, QPoint(8, keep->height() / 2));
        QVERIFY(!panel.config().training.keepEpochCheckpoints);
    }

    void aPluginScheduleIsOfferedWithItsParametersAndPreview()
    {
        const auto record = plugin::loadPlugin(LATHE_TEST_PLUGIN_DIR "/cosine-restarts.so");
        QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        auto *type = child<QComboBox>(panel, "schedule.type");
        const int index = type->findText("cosine-restarts");
        QVERIFY(index >= 0); // listed after the built-ins
        QCOMPARE(index, type->count() - 1);
        type->setFocus();
        QTest::keyClick(type, Qt::Key_End); // as a user picks it: the last entry
        QCOMPARE(panel.config().schedule.type, std::string("cosine-restarts"));
        // The keys the plugin says it reads are shown, the others hidden.
        QVERIFY(shown(panel, "schedule.step_epochs"));
        QVERIFY(shown(panel, "schedule.gamma"));
        QVERIFY(shown(panel, "schedule.min_lr"));
        QVERIFY(!shown(panel, "schedule.pct_start"));
        // The preview draws the plugin's schedule: a restart every step_epochs epochs.
        retype(child<QLineEdit>(panel, "schedule.step_epochs"), "2");
        retype(child<QLineEdit>(panel, "schedule.gamma"), "1");
        auto *plot = child<PlotWidget>(panel, "schedulePlot");
        QVERIFY(!plot->series().empty());
        const auto &points = plot->series().front().points;
        int restarts = 0;
        for (std::size_t i = 1; i < points.size(); ++i)
            restarts += points[i].y > points[i - 1].y + 1e-6 ? 1 : 0;
        QCOMPARE(restarts, 4); // 10 epochs, a cycle of 2: four jumps back up
    }

    void aFailingPluginScheduleSaysWhyInThePreview()
    {
        const auto record
            = plugin::loadPlugin(LATHE_TEST_FIXTURE_DIR "/fixture_failing_factories.so");
        QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
        HyperparamsPanel panel;
        auto config = defaultConfig();
        config.schedule.type = "explodes";
        panel.setConfig(config);
        auto *caption = child<QLabel>(panel, "scheduleCaption");
        QVERIFY2(caption->text().contains("Cannot draw this schedule: schedule \"explodes\" "
                                          "(plugin failing-factories) failed: out of coffee"),
                 qPrintable(caption->text()));
        QVERIFY(child<PlotWidget>(panel, "schedulePlot")->series().empty());
    }

    void scheduleTypeShowsItsParameters()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *type = child<QComboBox>(panel, "schedule.type");
        QCOMPARE(type->currentText(), QString("one-cycle"));
        QVERIFY(shown(panel, "schedule.pct_start"));
        QVERIFY(!shown(panel, "schedule.step_epochs"));
        QVERIFY(!shown(panel, "schedule.plateau_patience"));
        QVERIFY(!shown(panel, "optimizer.momentum")); // adamw has no momentum

        type->setFocus();
        QTest::keyClick(type, Qt::Key_Down);
        QCOMPARE(type->currentText(), QString("plateau"));
        QCOMPARE(panel.config().schedule.type, std::string("plateau"));
        QVERIFY(shown(panel, "schedule.plateau_patience"));
        QVERIFY(!shown(panel, "schedule.pct_start"));
        // Plateau cannot be previewed: the base rate, flat, and a note saying so.
        const auto &flat = child<PlotWidget>(panel, "schedulePlot")->series()[0].points;
        QVERIFY(std::all_of(flat.begin(), flat.end(), [](auto p) { return p.y == 0.003; }));
        QVERIFY(child<QLabel>(panel, "scheduleCaption")->text().contains("base rate"));

        QTest::keyClick(type, Qt::Key_Up);
        QTest::keyClick(type, Qt::Key_Up);
        QTest::keyClick(type, Qt::Key_Up);
        QCOMPARE(type->currentText(), QString("cosine"));
        QVERIFY(shown(panel, "schedule.min_lr"));
        QVERIFY(!shown(panel, "schedule.plateau_patience"));
        const auto &cosine = child<PlotWidget>(panel, "schedulePlot")->series()[0].points;
        QCOMPARE(cosine.front().y, 0.003);
        QVERIFY(cosine.back().y < 1e-6);

        auto *optimizer = child<QComboBox>(panel, "optimizer.name");
        optimizer->setFocus();
        QTest::keyClicks(optimizer, "sgd");
        QCOMPARE(optimizer->currentText(), QString("sgd"));
        QVERIFY(shown(panel, "optimizer.momentum"));
        QVERIFY(shown(panel, "optimizer.nesterov"));
    }

    void saveAndOpenRoundTrip()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("edited.json");
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        retype(child<QLineEdit>(panel, "training.epochs"), "7");
        retype(child<QLineEdit>(panel, "name"), "round-trip");
        QVERIFY(panel.saveConfig(path));

        HyperparamsPanel other;
        QSignalSpy changed(&other, &HyperparamsPanel::configChanged);
        QVERIFY(other.openConfig(path));
        QCOMPARE(other.config(), panel.config());
        QCOMPARE(other.config().training.epochs, std::int64_t(7));
        QCOMPARE(child<QLineEdit>(other, "name")->text(), QString("round-trip"));
        QCOMPARE(changed.count(), 1);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(nlohmann::json::parse(file.readAll().toStdString()) == panel.config().toJson());
    }

    void brokenFileNamesFileAndLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("broken.json");
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\n  \"name\": \"x\",,\n}\n");
        file.close();
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        QVERIFY(!panel.openConfig(path));
        auto *box = child<QMessageBox>(panel, "configFileError");
        QVERIFY(box->informativeText().contains(path));
        QVERIFY(box->informativeText().contains("line 2"));
        box->close();
        QCOMPARE(panel.config(), defaultConfig()); // left as it was
    }

    void lrFinderSuggestionGoesIntoTheForm()
    {
        auto config = defaultConfig();
        config.model = {"mlp", {64}, 0.0};
        config.augment.enabled = false;
        config.data.subset = 1000;
        HyperparamsPanel panel;
        panel.setConfig(config);
        QTest::mouseClick(child<QPushButton>(panel, "findLr"), Qt::LeftButton);
        auto *dialog = child<LrFinderDialog>(panel, "lrFinderDialog");
        auto *use = child<QPushButton>(*dialog, "lrFinderUse");
        QTRY_VERIFY_WITH_TIMEOUT(use->isEnabled(), 15000);
        const double suggested = dialog->suggestedLr();
        QVERIFY(suggested >= 1e-6 && suggested <= 1.0);
        const auto &series = dialog->plot()->series();
        QCOMPARE(series.size(), std::size_t(1));
        QVERIFY(series[0].points.size() >= 10);
        QCOMPARE(dialog->plot()->markers().size(), std::size_t(1));
        QCOMPARE(dialog->plot()->markers()[0].x, suggested);

        QSignalSpy changed(&panel, &HyperparamsPanel::configChanged);
        QTest::mouseClick(use, Qt::LeftButton);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.config().optimizer.lr, suggested);
        QCOMPARE(child<QLineEdit>(panel, "optimizer.lr")->text(),
                 QString::number(suggested, 'g', 10));
    }

    void lrFinderCancels()
    {
        auto config = defaultConfig();
        config.data.subset = 1000;
        LrFinderDialog dialog(config);
        auto *run = child<QPushButton>(dialog, "lrFinderRun");
        auto *cancel = child<QPushButton>(dialog, "lrFinderCancel");
        QVERIFY(!cancel->isEnabled());
        QTest::mouseClick(run, Qt::LeftButton);
        QVERIFY(cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        auto *status = child<QLabel>(dialog, "lrFinderStatus");
        QTRY_COMPARE_WITH_TIMEOUT(status->text(), QString("Cancelled."), 10000);
        QVERIFY(run->isEnabled());
        QCOMPARE(dialog.suggestedLr(), 0.0);
    }
};

QTEST_MAIN(TestHyperparamsPanel)
#include "tst_hyperparams_panel.moc"
