// "New sweep…" of the Hyperparameters panel, driven through its real widgets: ticked keys with
// typed ranges make a spec that core's parser reads back as entered; a bad range, a log range
// from 0, an empty value set or nothing ticked disables Start and names the key; a key only
// some of a searched choice's values use is conditional on them; every key ticked with its
// default range is valid; Start saves a spec that lathe-cli runs, and the window runs it in the
// Sweeps panel.
#include "core/track/sweep_store.h"
#include "core/train/sweep_runner.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/hyperparams/sweep_builder_dialog.h"
#include "panels/sweep/sweep_panel.h"
#include "panels/window/main_window.h"
#include "tests/panels/named_child.h"
#include "tests/qverify_ok.h"
#include "tests/panels/panel_test_support.h"
#include "tests/test_registry.h"
#include "tests/tiny_run.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <memory>

using namespace lathe;
using namespace lathe::panels;
using lathe::testing::retype;
using lathe::testing::tick;

namespace {

/// The shared tiny config (tests/tiny_run.h) on 300 images, a fifth held out, one thread, with
/// the experiment's batch of 128: an epoch of two batches, and the ranges below are around 128.
train::RunConfig builderConfig()
{
    auto config = testing::tinyConfig(300);
    config.name = "tiny";
    config.training.batchSize = 128;
    config.data.valFraction = 0.2;
    config.training.threads = 1;
    return config;
}

QCheckBox *searchBox(QWidget *dialog, const QString &key)
{
    return namedChild<QCheckBox>(dialog, qPrintable(key + ".search"));
}

QLineEdit *edit(QWidget *dialog, const QString &key, const char *part)
{
    return namedChild<QLineEdit>(dialog, qPrintable(key + "." + part));
}

QLabel *errorAt(QWidget *dialog, const QString &key)
{
    return namedChild<QLabel>(dialog, qPrintable(key + ".error"));
}

/// Ticks `key` and types its range.
void searchRange(QWidget *dialog, const QString &key, const QString &low, const QString &high)
{
    tick(searchBox(dialog, key));
    retype(edit(dialog, key, "low"), low);
    retype(edit(dialog, key, "high"), high);
}

} // namespace

class TestSweepBuilder : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<HyperparamsPanel> m_panel;

    /// The panel on builderConfig() and its "New sweep…" dialog, opened by its button.
    SweepBuilderDialog *openBuilder()
    {
        m_panel = std::make_unique<HyperparamsPanel>();
        m_panel->setConfig(builderConfig());
        auto *button = namedChild<QPushButton>(m_panel.get(), "newSweep");
        if (!button->isEnabled())
            qFatal("New sweep… is disabled for a valid config");
        QTest::mouseClick(button, Qt::LeftButton);
        auto *dialog = namedChild<SweepBuilderDialog>(m_panel.get(), "sweepBuilderDialog");
        if (!QTest::qWaitForWindowExposed(dialog))
            qFatal("the dialog is not shown");
        return dialog;
    }

    QPushButton *startButton(QWidget *dialog)
    {
        return namedChild<QPushButton>(dialog, "sweepBuilderStart");
    }

    QString status(QWidget *dialog)
    {
        return namedChild<QLabel>(dialog, "sweepBuilderStatus")->text();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        // Start saves under Lathe's data folder: this test's own.
        qputenv("XDG_DATA_HOME", (m_dir->path() + "/data").toUtf8());
        QStandardPaths::setTestModeEnabled(true); // the window's settings
    }

    void cleanup() { m_panel.reset(); }

    void theButtonNeedsAValidForm()
    {
        HyperparamsPanel panel;
        panel.setConfig(builderConfig());
        auto *button = namedChild<QPushButton>(&panel, "newSweep");
        QVERIFY(button->isEnabled());
        retype(namedChild<QLineEdit>(&panel, "optimizer.lr"), "-1");
        QVERIFY(!panel.isValid());
        QVERIFY(!button->isEnabled());
    }

    void defaultsStartAroundTheCurrentValues()
    {
        auto *dialog = openBuilder();
        // Nothing ticked yet: nothing to start, and the status says what to do.
        QVERIFY(!startButton(dialog)->isEnabled());
        QVERIFY2(status(dialog).contains("no keys to search"), qPrintable(status(dialog)));
        // Each numeric key of the config is offered, and each choice with its values.
        for (const char *key : {"optimizer.lr", "optimizer.weight_decay", "optimizer.momentum",
                                "model.dropout", "training.batch_size", "training.epochs",
                                "training.label_smoothing", "schedule.pct_start", "augment.hflip",
                                "optimizer.name", "schedule.type", "model.arch", "augment.enabled"})
            QVERIFY2(dialog->findChild<QCheckBox *>(QString(key) + ".search"), key);
        // ... but not the data, threads or device: trials must stay comparable.
        for (const char *key : {"data.val_fraction", "data.subset", "training.threads",
                                "training.device", "histograms.every"})
            QVERIFY2(!dialog->findChild<QCheckBox *>(QString(key) + ".search"), key);

        tick(searchBox(dialog, "optimizer.lr"));
        QCOMPARE(edit(dialog, "optimizer.lr", "low")->text(), QString("0.0003"));
        QCOMPARE(edit(dialog, "optimizer.lr", "high")->text(), QString("0.03"));
        QVERIFY(namedChild<QCheckBox>(dialog, "optimizer.lr.log")->isChecked());
        QVERIFY(namedChild<QCheckBox>(dialog, "optimizer.weight_decay.log")->isChecked());
        QVERIFY(!namedChild<QCheckBox>(dialog, "optimizer.momentum.log")->isChecked());
        QVERIFY(startButton(dialog)->isEnabled());
        QVERIFY2(status(dialog).contains("1 key searched, 20 trials"), qPrintable(status(dialog)));
        // A probability stays below 1; an integer gets a step.
        const double momentumHigh = edit(dialog, "optimizer.momentum", "high")->text().toDouble();
        QVERIFY(momentumHigh > 0.9 && momentumHigh < 1);
        QCOMPARE(edit(dialog, "training.batch_size", "low")->text(), QString("64"));
        QCOMPARE(edit(dialog, "training.batch_size", "high")->text(), QString("256"));
        QCOMPARE(edit(dialog, "training.batch_size", "step")->text(), QString("1"));
        // The current choice is ticked.
        QVERIFY(namedChild<QCheckBox>(dialog, "optimizer.name.value.adamw")->isChecked());
        QVERIFY(!namedChild<QCheckBox>(dialog, "optimizer.name.value.sgd")->isChecked());

        // The direction follows the metric; the workers follow the threads a trial uses.
        auto *metric = namedChild<QComboBox>(dialog, "sweepBuilderMetric");
        auto *direction = namedChild<QComboBox>(dialog, "sweepBuilderDirection");
        QCOMPARE(metric->currentText(), QString("val/accuracy"));
        QCOMPARE(direction->currentText(), QString("maximize"));
        metric->setFocus();
        QTest::keyClick(metric, Qt::Key_Down);
        QCOMPARE(metric->currentText(), QString("val/loss"));
        QCOMPARE(direction->currentText(), QString("minimize"));
        sweep::SweepSpec spec;
        spec.base = builderConfig().toJson();
        QCOMPARE(namedChild<QSpinBox>(dialog, "sweepBuilderWorkers")->value(),
                 train::defaultSweepWorkers(spec));
        QCOMPARE(namedChild<QComboBox>(dialog, "sweepBuilderSampler")->currentText(),
                 QString("tpe"));
        QCOMPARE(namedChild<QComboBox>(dialog, "sweepBuilderPruner")->currentText(),
                 QString("asha"));
    }

    void everyKeyWithItsDefaultRangeIsValid()
    {
        auto *dialog = openBuilder();
        int ticked = 0;
        for (auto *box : dialog->findChildren<QCheckBox *>())
            if (box->objectName().endsWith(".search")) {
                tick(box);
                ++ticked;
                QVERIFY2(startButton(dialog)->isEnabled(),
                         qPrintable(box->objectName() + ": " + status(dialog)));
            }
        QVERIFY(ticked >= 30);
        QVERIFY2(status(dialog).contains(QString("%1 keys searched").arg(ticked)),
                 qPrintable(status(dialog)));
    }

    void enteredRangesAreTheSavedSpace()
    {
        auto *dialog = openBuilder();
        searchRange(dialog, "optimizer.lr", "1e-4", "0.1");
        searchRange(dialog, "model.dropout", "0", "0.3");
        searchRange(dialog, "training.batch_size", "32", "128");
        retype(edit(dialog, "training.batch_size", "step"), "32");
        tick(searchBox(dialog, "optimizer.name"));
        tick(namedChild<QCheckBox>(dialog, "optimizer.name.value.sgd"));
        tick(searchBox(dialog, "augment.enabled"));
        tick(namedChild<QCheckBox>(dialog, "augment.enabled.value.false"));
        tick(searchBox(dialog, "optimizer.momentum"));
        retype(namedChild<QSpinBox>(dialog, "sweepBuilderTrials"), "7");
        retype(namedChild<QLineEdit>(dialog, "sweepBuilderName"), "typed");
        QVERIFY2(startButton(dialog)->isEnabled(), qPrintable(status(dialog)));

        // Save spec… through its file dialog.
        QTest::mouseClick(namedChild<QPushButton>(dialog, "sweepBuilderSave"), Qt::LeftButton);
        auto *files = namedChild<QFileDialog>(dialog, "sweepBuilderFileDialog");
        const QString path = m_dir->path() + "/typed.json";
        files->selectFile(path);
        static_cast<QDialog *>(files)->accept();
        QVERIFY2(QFileInfo::exists(path), qPrintable(status(dialog)));

        const auto spec = train::loadSweep(path.toStdString());
        QVERIFY_OK(spec);
        QCOMPARE(spec->name, std::string("typed"));
        QCOMPARE(spec->trials, 7);
        QCOMPARE(spec->base, builderConfig().toJson());
        QCOMPARE(spec->space.dimensions.size(), std::size_t(6));
        const auto *lr = spec->space.find("optimizer.lr");
        QVERIFY(lr);
        QCOMPARE(lr->kind, sweep::Kind::LogUniform);
        QCOMPARE(lr->low, 1e-4);
        QCOMPARE(lr->high, 0.1);
        const auto *dropout = spec->space.find("model.dropout");
        QVERIFY(dropout);
        QCOMPARE(dropout->kind, sweep::Kind::Uniform);
        QCOMPARE(dropout->low, 0.0);
        QCOMPARE(dropout->high, 0.3);
        const auto *batch = spec->space.find("training.batch_size");
        QVERIFY(batch);
        QCOMPARE(batch->kind, sweep::Kind::Int);
        QCOMPARE(batch->low, 32.0);
        QCOMPARE(batch->high, 128.0);
        QCOMPARE(batch->step, std::int64_t(32));
        const auto *name = spec->space.find("optimizer.name");
        QVERIFY(name);
        QCOMPARE(name->kind, sweep::Kind::Choice);
        QCOMPARE(name->values, (std::vector<nlohmann::json>{"sgd", "adamw"}));
        const auto *augment = spec->space.find("augment.enabled");
        QVERIFY(augment);
        QCOMPARE(augment->values, (std::vector<nlohmann::json>{false, true}));
        // Momentum only where the optimizer uses it, as the form shows it.
        const auto *momentum = spec->space.find("optimizer.momentum");
        QVERIFY(momentum);
        QCOMPARE(momentum->when, (std::vector<sweep::Condition>{{"optimizer.name", {"sgd"}}}));
        QVERIFY(lr->when.empty());
        QCOMPARE(spec->objective.metric, std::string("val/accuracy"));
        QCOMPARE(spec->objective.direction, sweep::Direction::Maximize);
        QCOMPARE(spec->sampler.name, sweep::SamplerSpec::Name::Tpe);
        QCOMPARE(spec->pruner.name, sweep::PrunerSpec::Name::Asha);
    }

    void theGridSamplerSpacesTheRealRanges()
    {
        auto *dialog = openBuilder();
        searchRange(dialog, "optimizer.lr", "0.001", "0.1");
        auto *points = namedChild<QSpinBox>(dialog, "sweepBuilderGridPoints");
        QVERIFY(!points->isEnabled());
        auto *sampler = namedChild<QComboBox>(dialog, "sweepBuilderSampler");
        sampler->setFocus();
        QTest::keyClick(sampler, Qt::Key_Down);
        QTest::keyClick(sampler, Qt::Key_Down);
        QCOMPARE(sampler->currentText(), QString("grid"));
        QVERIFY(points->isEnabled());
        retype(points, "3");
        // The budget is the grid's size when that is below the trials asked for.
        QVERIFY2(status(dialog).contains("1 key searched, 3 trials"), qPrintable(status(dialog)));
        const auto spec = dialog->spec();
        QCOMPARE(spec["sampler"]["name"], nlohmann::json("grid"));
        QCOMPARE(spec["space"]["optimizer.lr"]["grid"], nlohmann::json(3));
    }

    void badRangesDisableStartAndNameTheKey()
    {
        auto *dialog = openBuilder();
        auto *start = startButton(dialog);
        auto *save = namedChild<QPushButton>(dialog, "sweepBuilderSave");
        searchRange(dialog, "optimizer.lr", "0.1", "0.01");
        QVERIFY(!start->isEnabled());
        QVERIFY(!save->isEnabled());
        auto *error = errorAt(dialog, "optimizer.lr");
        QVERIFY(error->isVisible());
        QVERIFY2(error->text().contains("low 0.1 is above high 0.01"), qPrintable(error->text()));
        QVERIFY2(status(dialog).contains("optimizer.lr"), qPrintable(status(dialog)));

        // A log range from 0.
        retype(edit(dialog, "optimizer.lr", "low"), "0");
        QVERIFY(!start->isEnabled());
        QVERIFY2(error->text().contains("log_uniform needs bounds above 0"),
                 qPrintable(error->text()));
        retype(edit(dialog, "optimizer.lr", "low"), "0.001");
        QVERIFY2(start->isEnabled(), qPrintable(status(dialog)));
        QVERIFY(!error->isVisible());

        // A value the config refuses, at another key; a step that does not divide the range.
        searchRange(dialog, "model.dropout", "0.2", "1.5");
        QVERIFY(!start->isEnabled());
        QVERIFY2(errorAt(dialog, "model.dropout")->text().contains("1.5"),
                 qPrintable(errorAt(dialog, "model.dropout")->text()));
        tick(searchBox(dialog, "model.dropout"));
        searchRange(dialog, "training.batch_size", "32", "100");
        retype(edit(dialog, "training.batch_size", "step"), "32");
        QVERIFY(!start->isEnabled());
        QVERIFY2(errorAt(dialog, "training.batch_size")->text().contains("not a multiple of step"),
                 qPrintable(errorAt(dialog, "training.batch_size")->text()));
        tick(searchBox(dialog, "training.batch_size"));
        QVERIFY(start->isEnabled());

        // Nothing ticked.
        tick(searchBox(dialog, "optimizer.lr"));
        QVERIFY(!start->isEnabled());
        QVERIFY2(status(dialog).contains("no keys to search"), qPrintable(status(dialog)));

        // An empty name.
        tick(searchBox(dialog, "optimizer.lr"));
        retype(namedChild<QLineEdit>(dialog, "sweepBuilderName"), "");
        QVERIFY(!start->isEnabled());
        QVERIFY2(status(dialog).startsWith("name:"), qPrintable(status(dialog)));
    }

    void anEmptyChoiceSetIsRefused()
    {
        auto *dialog = openBuilder();
        tick(searchBox(dialog, "optimizer.name"));
        QVERIFY(startButton(dialog)->isEnabled());
        tick(namedChild<QCheckBox>(dialog, "optimizer.name.value.adamw"));
        QVERIFY(!startButton(dialog)->isEnabled());
        QVERIFY2(errorAt(dialog, "optimizer.name")->text().contains("no values"),
                 qPrintable(errorAt(dialog, "optimizer.name")->text()));
        QVERIFY(!dialog->saveSpec(m_dir->path() + "/empty.json"));
        QVERIFY(!QFileInfo::exists(m_dir->path() + "/empty.json"));
        tick(namedChild<QCheckBox>(dialog, "optimizer.name.value.sgd"));
        QVERIFY(startButton(dialog)->isEnabled());
    }

    void startSavesASpecThatLatheCliRuns()
    {
        auto *dialog = openBuilder();
        searchRange(dialog, "optimizer.lr", "0.001", "0.01");
        QSignalSpy started(m_panel.get(), &HyperparamsPanel::sweepStartRequested);
        QTest::mouseClick(startButton(dialog), Qt::LeftButton);
        QCOMPARE(started.count(), 1);
        const QString path = started.at(0).at(0).toString();
        QVERIFY2(path.startsWith(m_dir->path() + "/data/lathe/sweeps/tiny-sweep-"),
                 qPrintable(path));
        QVERIFY(path.endsWith(".json"));
        QVERIFY(QFileInfo::exists(path));
        QTRY_VERIFY(!m_panel->findChild<SweepBuilderDialog *>()); // closed

        const QString db = m_dir->path() + "/lathe.db";
        QProcess cli;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_DATA_HOME", m_dir->path() + "/data");
        cli.setProcessEnvironment(env);
        cli.start(LATHE_CLI_PATH, {"sweep", path, "--trials", "2", "--max-steps", "3", "--workers",
                                   "1", "--db", db});
        QVERIFY(cli.waitForFinished(180000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        auto store = track::SweepStore::open(db.toStdString());
        QVERIFY_OK(store);
        const auto sweeps = (*store)->listSweeps();
        QVERIFY_OK(sweeps);
        QCOMPARE(sweeps->size(), std::size_t(1));
        QCOMPARE(sweeps->front().name, std::string("tiny-sweep"));
        const auto trials = (*store)->trials(sweeps->front().id);
        QVERIFY_OK(trials);
        QCOMPARE(trials->size(), std::size_t(2));
        for (const auto &trial : *trials)
            QVERIFY2(trial.state == track::TrialState::Completed, trial.errorMessage.c_str());
    }

    void theWindowRunsItInTheSweepsPanel()
    {
        const auto db = std::filesystem::path(m_dir->path().toStdString()) / "window.db";
        const auto config = std::filesystem::path(m_dir->path().toStdString()) / "tiny.json";
        std::ofstream(config) << builderConfig().toJson().dump(2);
        MainWindow window({db, config, false});
        window.sweepPanel()->setCliPath(LATHE_CLI_PATH);
        window.resize(1366, 768);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *dock = window.dock("dock-sweeps");
        QVERIFY(dock->visibleRegion().isEmpty()); // behind Live curves

        auto *form = window.hyperparamsPanel();
        QTest::mouseClick(namedChild<QPushButton>(form, "newSweep"), Qt::LeftButton);
        auto *dialog = namedChild<SweepBuilderDialog>(form, "sweepBuilderDialog");
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        searchRange(dialog, "optimizer.lr", "0.001", "0.01");
        retype(namedChild<QSpinBox>(dialog, "sweepBuilderTrials"), "2");
        retype(namedChild<QSpinBox>(dialog, "sweepBuilderWorkers"), "1");
        QTest::mouseClick(startButton(dialog), Qt::LeftButton);

        QTRY_VERIFY(!dock->visibleRegion().isEmpty());
        auto *chooser = namedChild<QComboBox>(window.sweepPanel(), "sweepChooser");
        QTRY_VERIFY_WITH_TIMEOUT(chooser->currentText().startsWith("tiny-sweep"), 60000);
        QTRY_COMPARE_WITH_TIMEOUT(window.sweepPanel()->snapshot().completed, 2, 120000);
    }

    void fitsASmallScreen()
    {
        auto *dialog = openBuilder();
        tick(searchBox(dialog, "optimizer.lr"));
        tick(searchBox(dialog, "optimizer.name"));
        tick(searchBox(dialog, "schedule.type"));
        tick(searchBox(dialog, "training.batch_size"));
        QVERIFY(dialog->width() <= 1366 && dialog->height() <= 700);
        QVERIFY(dialog->minimumSizeHint().height() <= 700);
        QTest::qWait(50); // the layouts settle
        const QString shot = QCoreApplication::applicationDirPath() + "/sweep_builder.png";
        QVERIFY(dialog->grab().save(shot));
        qInfo("screenshot: %s", qPrintable(shot));
        // Further down the list: an integer range with its step.
        namedChild<QScrollArea>(dialog, "sweepBuilderKeys")
            ->ensureWidgetVisible(edit(dialog, "training.batch_size", "step"));
        QTest::qWait(50);
        const QString lower = QCoreApplication::applicationDirPath() + "/sweep_builder_lower.png";
        QVERIFY(dialog->grab().save(lower));
        qInfo("screenshot: %s", qPrintable(lower));
    }
};

LATHE_TEST_MAIN(TestSweepBuilder)
#include "tst_sweep_builder.moc"
