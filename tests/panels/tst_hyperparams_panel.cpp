// The Hyperparameters panel driven through its real widgets: the schedule plot follows edits,
// core's validation messages appear next to the field, schedule parameters show and hide with
// the type, configs round-trip through files, the LR finder's suggestion lands in the form, and
// registered metrics, extra augmentations and reader options are set without editing JSON.
#include "core/model/net.h"
#include "core/model/zoo.h"
#include "core/plugin/loader.h"
#include "panels/common/plot_widget.h"
#include "panels/hyperparams/hyperparams_panel.h"
#include "panels/hyperparams/lr_finder_dialog.h"
#include "tests/python_models.h"
#include "tests/panels/panel_test_support.h"
#include "tests/test_registry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QGroupBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QStyle>
#include <QStyleOptionViewItem>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

using namespace lathe;
using namespace lathe::panels;
using lathe::testing::retype;
using lathe::testing::saveGrab;
using lathe::testing::tick;

namespace {

train::RunConfig defaultConfig()
{
    auto config = train::loadRunConfig(LATHE_TEST_RESOURCES "/configs/fashion-cnn.json");
    if (!config)
        qFatal("%s", config.error().toString().c_str());
    config->data.path = LATHE_TEST_FASHION_DIR;
    return *config;
}

template<typename T>
T *child(QWidget &parent, const QString &name)
{
    auto *widget = parent.findChild<T *>(name);
    if (!widget)
        qFatal("no child %s", qPrintable(name));
    return widget;
}

/// Waits until the panel has read its data and counted the training samples the schedule
/// preview steps through (a worker reads them a moment after the last edit).
void waitForCount(QWidget &panel)
{
    auto *caption = child<QLabel>(panel, "scheduleCaption");
    QTRY_VERIFY2_WITH_TIMEOUT(!caption->text().contains("ounting"), qPrintable(caption->text()),
                              15000);
}

/// An image folder at `root`: `perClass` 12×12 PNGs in each of `classes`.
void makeImageFolder(const QString &root, const QStringList &classes, int perClass)
{
    QDir dir(root);
    for (const QString &name : classes) {
        QVERIFY(dir.mkpath(name));
        for (int i = 0; i < perClass; ++i) {
            QImage image(12, 12, QImage::Format_Grayscale8);
            image.fill(20 * i);
            QVERIFY(image.save(dir.filePath(QString("%1/%2.png").arg(name).arg(i))));
        }
    }
}

/// Every dotted key a config file can hold, from RunConfig's own JSON with every optional
/// section written (fine-tune enabled, one metric): "name", "metrics", "<section>.<key>".
QStringList configKeys()
{
    train::RunConfig config;
    config.finetune.run = "1";
    config.metrics.push_back({"accuracy", {}});
    config.adversarial.enabled = true;                   // every adversarial key written
    config.privacy = {true, 1.0, 3.0, 1.0, 1e-5, 0, {}}; // every privacy key written
    QStringList keys;
    const nlohmann::json json = config.toJson();
    for (const auto &[section, value] : json.items()) {
        if (!value.is_object()) {
            keys << QString::fromStdString(section);
            continue;
        }
        for (const auto &[key, unused] : value.items())
            keys << QString::fromStdString(section + "." + key);
    }
    return keys;
}

bool shown(QWidget &panel, const QString &key)
{
    return child<QWidget>(panel, key)->isVisibleTo(&panel);
}

/// Loads a sample plugin the first time a test asks for it (a second load would be refused).
void usePlugin(const char *file)
{
    static QStringList loaded;
    if (loaded.contains(file))
        return;
    const auto record = plugin::loadPlugin(std::string(LATHE_TEST_PLUGIN_DIR "/") + file);
    QVERIFY2(record.status == plugin::PluginRecord::Status::Loaded, record.message.c_str());
    loaded << file;
}

QGroupBox *group(QWidget &panel, const QString &title)
{
    for (auto *box : panel.findChildren<QGroupBox *>())
        if (box->title() == title)
            return box;
    qFatal("no group %s", qPrintable(title));
    return nullptr;
}

/// The stages of `spec`'s network as lathe::model::buildNet makes it for Fashion-MNIST, with
/// each stage's parameter count: what the Fine-tune tree should list.
std::vector<std::pair<QString, std::int64_t>> stagesOf(const model::ModelSpec &spec)
{
    auto net = model::buildNet(spec, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    const auto children = (*net)->named_children();
    std::vector<std::pair<QString, std::int64_t>> stages;
    for (const auto &name : (*net)->stageNames()) {
        std::int64_t count = 0;
        for (const auto &parameter : children[name]->parameters())
            count += parameter.numel();
        stages.emplace_back(QString::fromStdString(name), count);
    }
    return stages;
}

/// Clicks the check box of the tree's `row`th item as a user does.
void tickItem(QTreeWidget *tree, int row)
{
    auto *item = tree->topLevelItem(row);
    QStyleOptionViewItem option;
    option.initFrom(tree->viewport());
    option.rect = tree->visualItemRect(item);
    option.features = QStyleOptionViewItem::HasCheckIndicator | QStyleOptionViewItem::HasDisplay;
    option.text = item->text(0);
    const QRect box
        = tree->style()->subElementRect(QStyle::SE_ItemViewItemCheckIndicator, &option, tree);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, box.center());
}

QStringList tickedItems(QTreeWidget *tree)
{
    QStringList names;
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        if (tree->topLevelItem(i)->checkState(0) == Qt::Checked)
            names << tree->topLevelItem(i)->text(0);
    return names;
}

QString wineConfig()
{
    return QStringLiteral(LATHE_TEST_RESOURCES "/../plugins/csv-tabular/wine.json");
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
        waitForCount(panel);
        QSignalSpy changed(&panel, &HyperparamsPanel::configChanged);
        auto *plot = child<PlotWidget>(panel, "schedulePlot");
        QCOMPARE(plot->series().size(), std::size_t(1));
        const auto before = plot->series()[0].points;
        // Fashion-MNIST's 60,000 training images - 5% validation (300 of each class's 6,000) =
        // 57,000 samples / 128 = 446 steps per epoch, 10 epochs.
        QVERIFY(child<QLabel>(panel, "scheduleCaption")->text().contains("57,000 training"));
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
        waitForCount(panel);
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
        waitForCount(panel);
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
        waitForCount(panel);
        auto *caption = child<QLabel>(panel, "scheduleCaption");
        QVERIFY2(caption->text().contains("Cannot draw this schedule: schedule \"explodes\" "
                                          "(plugin failing-factories) failed: out of coffee"),
                 qPrintable(caption->text()));
        QVERIFY(child<PlotWidget>(panel, "schedulePlot")->series().empty());
    }

    void aTickedMetricWithOptionsReachesTheConfig()
    {
        usePlugin("fairness.so");
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        // One row per registered metric, built-ins first; a plugin's row names its plugin.
        auto *fairness = child<QCheckBox>(panel, "metrics/fairness");
        auto *macroF1 = child<QCheckBox>(panel, "metrics/macro-f1");
        QVERIFY(child<QCheckBox>(panel, "metrics/per-class-accuracy"));
        QCOMPARE(child<QLabel>(panel, "metrics/fairness/source")->text(),
                 QString("fairness plugin"));
        QVERIFY(!panel.findChild<QLabel *>("metrics/macro-f1/source")); // built in: no source
        QVERIFY(fairness->toolTip().startsWith("Accuracy and true-positive rate per group"));
        QVERIFY(fairness->toolTip().contains("From the plugin fairness"));
        auto *options = child<QLineEdit>(panel, "metrics/fairness/options");
        QVERIFY(!fairness->isChecked());
        QVERIFY(!options->isEnabled());
        QVERIFY(panel.config().metrics.empty());

        QSignalSpy changed(&panel, &HyperparamsPanel::configChanged);
        tick(fairness);
        QVERIFY(options->isEnabled());
        QCOMPARE(panel.config().metrics, (std::vector<ExtensionUse>{{"fairness", {}}}));
        retype(options, "column=alcohol, threshold=13");
        QVERIFY(panel.isValid());
        const ExtensionUse expected{"fairness", {{"column", "alcohol"}, {"threshold", "13"}}};
        QCOMPARE(panel.config().metrics, std::vector<ExtensionUse>{expected});
        QCOMPARE(changed.last().at(0).value<train::RunConfig>().metrics,
                 std::vector<ExtensionUse>{expected});
        // A second metric: uses follow the rows' order.
        tick(macroF1);
        QCOMPARE(panel.config().metrics, (std::vector<ExtensionUse>{{"macro-f1", {}}, expected}));
        saveGrab(group(panel, "Metrics"), "hyperparams-metrics");
        saveGrab(child<QWidget>(panel, "configForm"), "hyperparams-form");
        // Unticked, a metric leaves the config but keeps its options for the next tick.
        tick(fairness);
        QCOMPARE(panel.config().metrics, (std::vector<ExtensionUse>{{"macro-f1", {}}}));
        QVERIFY(!options->isEnabled());
        tick(fairness);
        QCOMPARE(panel.config().metrics.back(), expected);
    }

    void badOptionsTextShowsAMessageAndBlocksStart()
    {
        usePlugin("fairness.so");
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QSignalSpy validity(&panel, &HyperparamsPanel::validityChanged);
        tick(child<QCheckBox>(panel, "metrics/fairness"));
        auto *options = child<QLineEdit>(panel, "metrics/fairness/options");
        auto *message = child<QLabel>(panel, "metrics.error");
        retype(options, "column alcohol");
        QVERIFY(!panel.isValid());
        QCOMPARE(validity.count(), 1);
        QCOMPARE(validity.last().at(0).toBool(), false);
        QVERIFY(!child<QPushButton>(panel, "findLr")->isEnabled());
        // Core's message, naming the metric and the entry, with how options are written.
        QVERIFY(message->isVisibleTo(&panel));
        QVERIFY2(
            message->text().startsWith("fairness: cannot read option \"column alcohol\": value "
                                       "null has the wrong type"),
            qPrintable(message->text()));
        QVERIFY(message->text().contains("key=value, each key once, separated by commas"));
        QVERIFY(!options->styleSheet().isEmpty());
        QVERIFY(
            child<QLabel>(panel, "configStatus")->text().startsWith("metrics[0].column alcohol"));
        // The last valid config is kept: the metric as ticked, before any options were typed.
        QCOMPARE(panel.config().metrics, (std::vector<ExtensionUse>{{"fairness", {}}}));
        saveGrab(group(panel, "Metrics"), "hyperparams-metrics-error");

        retype(options, "column=alcohol");
        QVERIFY(panel.isValid());
        QCOMPARE(validity.last().at(0).toBool(), true);
        QVERIFY(!message->isVisibleTo(&panel));
        QVERIFY(options->styleSheet().isEmpty());
        QCOMPARE(panel.config().metrics.front().options.at("column"), std::string("alcohol"));

        // Reader options: the same message at data.options.
        auto *reader = child<QLineEdit>(panel, "data.options");
        retype(reader, "header=sklearn, label");
        QVERIFY(!panel.isValid());
        const QString readerMessage = child<QLabel>(panel, "data.options.error")->text();
        QVERIFY2(readerMessage.startsWith("Cannot read option \"label\": value null"),
                 qPrintable(readerMessage));
        QVERIFY(!reader->styleSheet().isEmpty());
        saveGrab(group(panel, "Data"), "hyperparams-data-error");
        retype(reader, "header=sklearn, label=class");
        QVERIFY(panel.isValid());
        QCOMPARE(panel.config().data.options, (Options{{"header", "sklearn"}, {"label", "class"}}));
    }

    void optionsTextIsRead_data()
    {
        QTest::addColumn<QString>("typed");
        QTest::addColumn<QString>("json");  // the options read, or "" when the text is refused
        QTest::addColumn<QString>("shown"); // the text shown for them, or the entry refused
        const auto row
            = [](const char *name, const char *typed, const char *json, const char *shown) {
                  QTest::newRow(name) << QString(typed) << QString(json) << QString(shown);
              };
        row("one", "a=1", "{\"a\":\"1\"}", "a=1");
        row("spaces", " a = 1 ,b=two words ", "{\"a\":\"1\",\"b\":\"two words\"}",
            "a=1, b=two words");
        row("quoted", "cols=\"x,y\", say=\"a \\\"b\\\"\"",
            "{\"cols\":\"x,y\",\"say\":\"a \\\"b\\\"\"}", "cols=\"x,y\", say=\"a \\\"b\\\"\"");
        row("empty value", "a=", "{\"a\":\"\"}", "a=\"\"");
        row("empty entries", "a=1,, b=2,", "{\"a\":\"1\",\"b\":\"2\"}", "a=1, b=2");
        row("equals in value", "a=b=c", "{\"a\":\"b=c\"}", "a=b=c");
        row("quoted key", "\"x=y\"=1", "{\"x=y\":\"1\"}", "\"x=y\"=1");
        row("nothing", "", "{}", "");
        row("no equals", "a=1, alcohol", "", "alcohol");
        row("no key", "=5", "", "=5");
        row("repeated key", "a=1, a=2", "", "a=2");
        row("open quote", "a=\"x, b=2", "", "a=\"x, b=2");
        row("after quote", "a=\"x\"y", "", "a=\"x\"y");
    }

    void optionsTextIsRead()
    {
        QFETCH(QString, typed);
        QFETCH(QString, json);
        QFETCH(QString, shown);
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        auto *edit = child<QLineEdit>(panel, "data.options");
        retype(edit, typed);
        if (json.isEmpty()) {
            QVERIFY(!panel.isValid());
            const QString status = child<QLabel>(panel, "configStatus")->text();
            QVERIFY2(status.startsWith("data.options." + shown + ": "), qPrintable(status));
            return;
        }
        QVERIFY2(panel.isValid(), qPrintable(child<QLabel>(panel, "configStatus")->text()));
        Options expected;
        const auto parsed = nlohmann::json::parse(json.toStdString());
        for (const auto &[key, value] : parsed.items())
            expected[key] = value.get<std::string>();
        QCOMPARE(panel.config().data.options, expected);
        // Shown back in one spelling, which reads as the same options.
        panel.setConfig(panel.config());
        QCOMPARE(edit->text(), shown);
        retype(edit, edit->text());
        QCOMPARE(panel.config().data.options, expected);
    }

    void extraAugmentationsAreRowsOfTheAugmentationGroup()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig()); // augmentation on
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        for (const auto &name : plugin::registry().names(plugin::Kind::Augmentation))
            QVERIFY(child<QCheckBox>(panel, "augment.extra/" + QString::fromStdString(name)));
        auto *erase = child<QCheckBox>(panel, "augment.extra/erase");
        tick(erase);
        retype(child<QLineEdit>(panel, "augment.extra/erase/options"), "prob=0.3, max_area=0.1");
        QCOMPARE(panel.config().augment.extra,
                 (std::vector<ExtensionUse>{{"erase", {{"prob", "0.3"}, {"max_area", "0.1"}}}}));
        saveGrab(group(panel, "Augmentation"), "hyperparams-augmentation");
        // Off with augmentation, like the built-in settings.
        tick(child<QCheckBox>(panel, "augment.enabled"));
        QVERIFY(!panel.config().augment.enabled);
        QVERIFY(!erase->isEnabled());
        QCOMPARE(panel.config().augment.extra.size(), std::size_t(1)); // kept, as the others
    }

    void openedMetricsAndOptionsAreShownAndSaved()
    {
        usePlugin("csv-tabular.so");
        usePlugin("fairness.so");
        HyperparamsPanel panel;
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QVERIFY(panel.openConfig(wineConfig()));
        // wine.json: fairness on "alcohol", the csv reader's header and (quoted) columns.
        auto *fairness = child<QCheckBox>(panel, "metrics/fairness");
        QVERIFY(fairness->isChecked());
        QVERIFY(!child<QCheckBox>(panel, "metrics/macro-f1")->isChecked());
        auto *options = child<QLineEdit>(panel, "metrics/fairness/options");
        QCOMPARE(options->text(), QString("column=alcohol"));
        const QString reader = child<QLineEdit>(panel, "data.options")->text();
        QVERIFY2(reader.startsWith("columns=\"alcohol,malic_acid,ash,"), qPrintable(reader));
        QVERIFY(reader.endsWith(",proline,class\", header=sklearn"));
        QCOMPARE(child<QComboBox>(panel, "data.dataset")->currentText(), QString("csv"));
        // Too long for the line: the tooltip has every option, one a line.
        const QStringList tip = child<QLineEdit>(panel, "data.options")->toolTip().split('\n');
        QCOMPARE(tip.size(), 2);
        QCOMPARE(tip[1], QString("header=sklearn"));
        saveGrab(group(panel, "Data"), "hyperparams-data");

        // Edited and saved: the file holds the options with their JSON types.
        options->setFocus();
        QTest::keyClick(options, Qt::Key_End);
        QTest::keyClicks(options, ", threshold=13");
        auto *readerEdit = child<QLineEdit>(panel, "data.options");
        readerEdit->setFocus();
        QTest::keyClick(readerEdit, Qt::Key_End);
        QTest::keyClicks(readerEdit, ", label=class");
        QTemporaryDir dir;
        const QString path = dir.filePath("wine-edited.json");
        QVERIFY(panel.saveConfig(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto saved = nlohmann::json::parse(file.readAll().toStdString());
        QCOMPARE(saved["metrics"].dump(),
                 std::string("[{\"column\":\"alcohol\",\"name\":\"fairness\",\"threshold\":13}]"));
        QVERIFY(saved["data"]["options"]["label"] == "class");
        QVERIFY(saved["data"]["options"]["columns"].get<std::string>().starts_with("alcohol,"));

        HyperparamsPanel other;
        QVERIFY(other.openConfig(path));
        QCOMPARE(other.config(), panel.config());
        QCOMPARE(child<QLineEdit>(other, "metrics/fairness/options")->text(),
                 QString("column=alcohol, threshold=13"));
    }

    void scheduleTypeShowsItsParameters()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        waitForCount(panel);
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

    void tickedStagesAreFrozenAndTheTrainableCountFollows()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const auto stages = stagesOf(defaultConfig().model);
        auto *tree = child<QTreeWidget>(panel, "finetune.freeze");
        QCOMPARE(tree->topLevelItemCount(), int(stages.size()));
        std::int64_t total = 0;
        for (std::size_t i = 0; i < stages.size(); ++i) {
            QCOMPARE(tree->topLevelItem(int(i))->text(0), stages[i].first);
            QCOMPARE(tree->topLevelItem(int(i))->text(1),
                     QLocale(QLocale::English).toString(qlonglong(stages[i].second)));
            total += stages[i].second;
        }
        auto *label = child<QLabel>(panel, "finetune.trainable");
        const QString all = QLocale(QLocale::English).toString(qlonglong(total));
        QCOMPARE(label->text(), QString("Trainable: %1 of %1 parameters (100.0%)").arg(all));
        // relu1 has no parameters: nothing to tick.
        QVERIFY(!(tree->topLevelItem(2)->flags() & Qt::ItemIsUserCheckable));
        QCOMPARE(stages[2].second, std::int64_t(0));

        QSignalSpy changed(&panel, &HyperparamsPanel::configChanged);
        tickItem(tree, 0);
        tickItem(tree, 1);
        QCOMPARE(changed.count(), 2);
        QVERIFY(panel.isValid());
        QCOMPARE(panel.config().finetune.freeze,
                 (std::vector<std::string>{stages[0].first.toStdString(),
                                           stages[1].first.toStdString()}));
        const std::int64_t trainable = total - stages[0].second - stages[1].second;
        QCOMPARE(label->text(),
                 QString("Trainable: %1 of %2 parameters (%3%)")
                     .arg(QLocale(QLocale::English).toString(qlonglong(trainable)), all,
                          QString::number(100.0 * double(trainable) / double(total), 'f', 1)));
        // LoRA: a note that only adapters and new heads train.
        retype(child<QLineEdit>(panel, "finetune.lora_rank"), "4");
        QVERIFY(label->text().contains("LoRA: only adapters and new heads train"));
        QCOMPARE(panel.config().finetune.loraRank, std::int64_t(4));
        saveGrab(group(panel, "Fine-tune"), "hyperparams-finetune");
        // Unticking writes the smaller list.
        tickItem(tree, 0);
        QCOMPARE(panel.config().finetune.freeze,
                 std::vector<std::string>{stages[1].first.toStdString()});
    }

    // "Open model…" on a model PyTorch scripted: the Fine-tune tree lists its layers nested by
    // name with their parameter counts; ticking layer1 freezes it whole (its layers ticked and
    // locked) and the count follows.
    void anImportedModelsLayersAreATree()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("resnet18.pt");
        const auto problem = testing::savePythonModel(testing::kResnet18, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *tree = child<QTreeWidget>(panel, "finetune.freeze");
        QVERIFY(tree->visibleRegion().isEmpty()); // far down the form at first
        panel.useModel(file);
        QCOMPARE(panel.config().finetune.torchscript, file.toStdString());
        QTRY_VERIFY(!tree->visibleRegion().isEmpty()); // scrolled to the model's layers
        // The zoo's architecture fields do not apply to an imported model.
        QVERIFY(!child<QComboBox>(panel, "model.arch")->isEnabled());
        QVERIFY(!child<QLineEdit>(panel, "model.widths")->isEnabled());
        QStringList top;
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            top << tree->topLevelItem(i)->text(0);
        QCOMPARE(top, (QStringList{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3",
                                   "layer4", "avgpool", "fc"}));
        auto *layer1 = tree->topLevelItem(4);
        QCOMPARE(layer1->childCount(), 2);
        QCOMPARE(layer1->child(0)->text(0), QString("layer1.0"));
        QCOMPARE(layer1->text(1), QString("147,968"));
        auto *label = child<QLabel>(panel, "finetune.trainable");
        QVERIFY2(label->text().startsWith("Trainable: 11,175,370 of 11,175,370"),
                 qPrintable(label->text()));
        tickItem(tree, 4);
        QCOMPARE(panel.config().finetune.freeze, std::vector<std::string>{"layer1"});
        QCOMPARE(layer1->child(1)->child(0)->checkState(0), Qt::Checked);
        QVERIFY(!(layer1->child(1)->child(0)->flags() & Qt::ItemIsEnabled));
        QVERIFY2(label->text().startsWith("Trainable: 11,027,402 of 11,175,370"),
                 qPrintable(label->text()));
        layer1->setExpanded(true);
        saveGrab(group(panel, "Fine-tune"), "hyperparams-imported-layers");
        tickItem(tree, 4);
        QVERIFY(panel.config().finetune.freeze.empty());
        QVERIFY(layer1->child(1)->child(0)->flags() & Qt::ItemIsEnabled);
        QCOMPARE(layer1->child(1)->child(0)->checkState(0), Qt::Unchecked);
    }

    // Loading a TorchScript file runs code from it: the form says so under the field, where
    // Browse… picks one and where "Open model…" scrolls to, and points to safetensors.
    void aTorchScriptFileIsPickedUnderAWarning()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("cnn.pt");
        const auto problem = testing::savePythonModel(testing::kTracedCnn, file);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.resize(520, 900);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *note = child<QLabel>(panel, "finetune.torchscript.note");
        QVERIFY(note->isVisibleTo(&panel));       // before any file is chosen
        QVERIFY(note->visibleRegion().isEmpty()); // far down the form at first
        QVERIFY2(note->text().contains("runs code")
                     && note->text().contains("only choose files you trust"),
                 qPrintable(note->text()));
        QVERIFY(note->text().contains("safetensors"));
        // Right under the file's field, above the safetensors one.
        auto *edit = child<QLineEdit>(panel, "finetune.torchscript");
        auto *weights = child<QLineEdit>(panel, "finetune.safetensors");
        const auto top = [&panel](QWidget *w) { return w->mapTo(&panel, QPoint()).y(); };
        QVERIFY(top(edit) < top(note) && top(note) < top(weights));
        QVERIFY(!panel.findChild<QLabel *>("finetune.safetensors.note")); // weights run nothing

        // Browse… picks the file with the note beside it.
        QTest::mouseClick(child<QPushButton>(panel, "finetune.torchscript.browse"), Qt::LeftButton);
        auto *dialog = child<QFileDialog>(panel, "finetune.torchscript.dialog");
        QVERIFY(note->isVisibleTo(&panel));
        dialog->selectFile(file);
        static_cast<QDialog *>(dialog)->accept();
        QCOMPARE(panel.config().finetune.torchscript, file.toStdString());
        QVERIFY(note->isVisibleTo(&panel));

        // "Open model…" scrolls the form to the model, the note in sight.
        panel.useModel(file);
        QTRY_VERIFY(!note->visibleRegion().isEmpty());
        saveGrab(group(panel, "Fine-tune"), "hyperparams-torchscript-note");
    }

    void changingWidthsRebuildsTheStageTree()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        auto *tree = child<QTreeWidget>(panel, "finetune.freeze");
        auto *label = child<QLabel>(panel, "finetune.trainable");
        const QString before = label->text();
        retype(child<QLineEdit>(panel, "model.widths"), "8, 16");
        QVERIFY(panel.isValid());
        auto spec = defaultConfig().model;
        spec.widths = {8, 16};
        const auto stages = stagesOf(spec);
        QCOMPARE(tree->topLevelItemCount(), int(stages.size()));
        std::int64_t total = 0;
        for (std::size_t i = 0; i < stages.size(); ++i) {
            QCOMPARE(tree->topLevelItem(int(i))->text(0), stages[i].first);
            total += stages[i].second;
        }
        QVERIFY(label->text() != before);
        QVERIFY2(label->text().contains(
                     " of " + QLocale(QLocale::English).toString(qlonglong(total)) + " "),
                 qPrintable(label->text()));
        // Widths that do not build say why instead of listing stages.
        retype(child<QLineEdit>(panel, "model.widths"), "0");
        QCOMPARE(tree->topLevelItemCount(), 0);
        QVERIFY2(label->text().startsWith("Stages unknown: "), qPrintable(label->text()));
    }

    void anOpenedFreezeListTicksItsStages()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("frozen.json");
        auto config = defaultConfig();
        const auto stages = stagesOf(config.model);
        config.finetune.freeze = {stages[1].first.toStdString(), stages.back().first.toStdString()};
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(QByteArray::fromStdString(config.toJson().dump(2)));
        }
        HyperparamsPanel panel;
        QVERIFY(panel.openConfig(path));
        auto *tree = child<QTreeWidget>(panel, "finetune.freeze");
        QCOMPARE(tickedItems(tree), (QStringList{stages[1].first, stages.back().first}));
        QCOMPARE(panel.config().finetune.freeze, config.finetune.freeze);
        // Defaults are shown for the keys a config without them leaves out.
        QCOMPARE(child<QLineEdit>(panel, "finetune.checkpoint")->text(),
                 QString()); // best, else last
        QCOMPARE(child<QLineEdit>(panel, "finetune.distill_weight")->text(), QString("0.5"));
        // "backbone" ticks every stage but the last.
        config.finetune.freeze = {"backbone"};
        panel.setConfig(config);
        QStringList backbone;
        for (std::size_t i = 0; i + 1 < stages.size(); ++i)
            if (stages[i].second > 0)
                backbone << stages[i].first;
        QCOMPARE(tickedItems(tree), backbone);
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

    void everyConfigKeyHasAFormField_data()
    {
        QTest::addColumn<QString>("key");
        for (const QString &key : configKeys())
            QTest::newRow(qPrintable(key)) << key;
    }

    void everyConfigKeyHasAFormField()
    {
        // steering is not in RunConfig's JSON unless a run was steered: the trainer records it
        // while paused, and New run drops it (newRunDropsTheFineTuneSection).
        QFETCH(QString, key);
        HyperparamsPanel panel;
        QVERIFY2(panel.findChild<QWidget *>(key), qPrintable(key + " has no field in the form"));
    }

    void theRobustnessGroupTrainsAdversarially()
    {
        HyperparamsPanel panel;
        panel.resize(700, 900);
        tick(child<QCheckBox>(panel, "adversarial.enabled"));
        retype(child<QLineEdit>(panel, "adversarial.epsilon"), "0.2");
        QVERIFY(panel.config().adversarial.enabled);
        QCOMPARE(panel.config().adversarial.epsilon, 0.2);
        QCOMPARE(panel.config().adversarial.steps, std::int64_t(7)); // the default shown
        saveGrab(group(panel, "Robustness"), "hyperparams-robustness");
    }

    void newFieldsReachTheConfigAndRoundTrip()
    {
        QTemporaryDir dir;
        const QString module = dir.filePath("backbone.pt");
        QFile(module).open(QIODevice::WriteOnly);
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        retype(child<QLineEdit>(panel, "data.train_limit"), "500");
        retype(child<QLineEdit>(panel, "data.classes"), "0, 2");
        retype(child<QLineEdit>(panel, "optimizer.beta2"), "0.99");
        tick(child<QCheckBox>(panel, "training.fused"));
        retype(child<QLineEdit>(panel, "finetune.torchscript"), module);
        tick(child<QCheckBox>(panel, "finetune.new_head"));
        retype(child<QLineEdit>(panel, "finetune.lr_multipliers"), "conv1=0.1, fc=2");
        retype(child<QLineEdit>(panel, "finetune.lora_rank"), "4");
        retype(child<QLineEdit>(panel, "finetune.lora_dropout"), "0.2");
        retype(child<QLineEdit>(panel, "finetune.lora_targets"), "fc1, fc2");
        retype(child<QLineEdit>(panel, "finetune.distill_checkpoint"), "last");
        QVERIFY2(panel.isValid(), qPrintable(child<QLabel>(panel, "configStatus")->text()));
        const train::RunConfig config = panel.config();
        QCOMPARE(config.data.trainLimit, std::int64_t(500));
        QCOMPARE(config.data.classes, (std::vector<std::int64_t>{0, 2}));
        QCOMPARE(config.optimizer.beta2, 0.99);
        QCOMPARE(config.training.fused, false);
        QCOMPARE(config.finetune.torchscript, module.toStdString());
        QCOMPARE(config.finetune.newHead, true);
        QCOMPARE(config.finetune.lrMultipliers,
                 (std::map<std::string, double>{{"conv1", 0.1}, {"fc", 2.0}}));
        QCOMPARE(config.finetune.loraDropout, 0.2);
        QCOMPARE(config.finetune.loraTargets, (std::vector<std::string>{"fc1", "fc2"}));
        QCOMPARE(config.finetune.distillCheckpoint, std::string("last"));
        saveGrab(group(panel, "Fine-tune"), "hyperparams-finetune");

        // Saved and opened again, every new field shows what it holds.
        const QString path = dir.filePath("finetune.json");
        QVERIFY(panel.saveConfig(path));
        HyperparamsPanel other;
        QVERIFY(other.openConfig(path));
        QCOMPARE(other.config(), config);
        QCOMPARE(child<QLineEdit>(other, "data.train_limit")->text(), QString("500"));
        QCOMPARE(child<QLineEdit>(other, "data.classes")->text(), QString("0, 2"));
        QCOMPARE(child<QLineEdit>(other, "finetune.lr_multipliers")->text(),
                 QString("conv1=0.1, fc=2.0"));
        QCOMPARE(child<QLineEdit>(other, "finetune.lora_targets")->text(), QString("fc1, fc2"));
        QCOMPARE(child<QLineEdit>(other, "finetune.torchscript")->text(), module);
        QVERIFY(child<QCheckBox>(other, "finetune.new_head")->isChecked());
        QVERIFY(!child<QCheckBox>(other, "training.fused")->isChecked());
    }

    void aMissingWeightFileIsAnErrorAtItsField()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        // Browse… asks for a file of that format.
        QTest::mouseClick(child<QPushButton>(panel, "finetune.safetensors.browse"), Qt::LeftButton);
        auto *dialog = child<QFileDialog>(panel, "finetune.safetensors.dialog");
        QCOMPARE(dialog->fileMode(), QFileDialog::ExistingFile);
        QVERIFY(dialog->nameFilters().first().contains("*.safetensors"));
        dialog->reject();
        retype(child<QLineEdit>(panel, "finetune.safetensors"), "/no/such/weights.safetensors");
        QVERIFY(!panel.isValid());
        auto *message = child<QLabel>(panel, "finetune.safetensors.error");
        QVERIFY(message->isVisibleTo(&panel));
        QVERIFY(message->text().contains("/no/such/weights.safetensors"));
    }

    void aPathThatDoesNotExistIsAnInlineError()
    {
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        waitForCount(panel);
        QVERIFY(panel.isValid());
        retype(child<QLineEdit>(panel, "data.path"), "/no/such/folder");
        auto *message = child<QLabel>(panel, "data.path.error");
        QTRY_VERIFY_WITH_TIMEOUT(message->isVisibleTo(&panel), 15000);
        QVERIFY2(message->text().contains("/no/such/folder"), qPrintable(message->text()));
        QVERIFY(!panel.isValid());
        QVERIFY(!child<QLabel>(panel, "configStatus")->text().contains("Config is valid"));
        // Put back, it is valid again.
        retype(child<QLineEdit>(panel, "data.path"), LATHE_TEST_FASHION_DIR);
        QTRY_VERIFY_WITH_TIMEOUT(panel.isValid(), 15000);
        QVERIFY(!message->isVisibleTo(&panel));
    }

    void browseChoosesAFolderAndAFolderWithoutClassesIsAnError()
    {
        QTemporaryDir empty;
        HyperparamsPanel panel;
        panel.setConfig(defaultConfig());
        panel.show();
        auto *reader = child<QComboBox>(panel, "data.dataset");
        reader->setFocus();
        QTest::keyClicks(reader, "image-folder");
        QCOMPARE(panel.config().data.dataset, std::string("image-folder"));
        // The Fashion-MNIST folder has its IDX files and no class sub-folders.
        auto *message = child<QLabel>(panel, "data.path.error");
        QTRY_VERIFY_WITH_TIMEOUT(message->isVisibleTo(&panel), 15000);
        QVERIFY2(message->text().contains("no images found"), qPrintable(message->text()));
        QVERIFY(!panel.isValid());
        saveGrab(group(panel, "Data"), "hyperparams-data-path-error");

        // Browse… asks for a folder, as the image-folder reader reads one.
        QTest::mouseClick(child<QPushButton>(panel, "data.path.browse"), Qt::LeftButton);
        auto *dialog = child<QFileDialog>(panel, "data.path.dialog");
        QCOMPARE(dialog->fileMode(), QFileDialog::Directory);
        dialog->setDirectory(empty.path());
        dialog->selectFile(empty.path());
        static_cast<QDialog *>(dialog)->accept(); // as the Choose button does
        QCOMPARE(child<QLineEdit>(panel, "data.path")->text(), empty.path());
        QCOMPARE(panel.config().data.path, empty.path().toStdString());
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(empty.path()), 15000);
        QVERIFY(!panel.isValid());

        makeImageFolder(empty.path(), {"circle", "square"}, 3);
        retype(child<QLineEdit>(panel, "data.path"), empty.path() + "/");
        QTRY_VERIFY_WITH_TIMEOUT(panel.isValid(), 15000);
        QVERIFY(!message->isVisibleTo(&panel));
    }

    void stepsFollowTheDataAfterLimitAndSplit()
    {
        QTemporaryDir dir;
        makeImageFolder(dir.path(), {"a", "b"}, 10);
        auto config = defaultConfig();
        config.data.dataset = "image-folder";
        config.data.path = dir.path().toStdString();
        config.data.valFraction = 0.1;
        config.training.batchSize = 4;
        config.training.epochs = 2;
        HyperparamsPanel panel;
        panel.setConfig(config);
        waitForCount(panel);
        auto *caption = child<QLabel>(panel, "scheduleCaption");
        // 20 images, 1 of each class's 10 held out: 18 / 4 = 5 steps per epoch.
        QVERIFY2(caption->text().contains("10 steps: 2 epochs × 5 steps (18 training samples"),
                 qPrintable(caption->text()));
        QCOMPARE(child<PlotWidget>(panel, "schedulePlot")->series()[0].points.back().x, 9.0);

        // The first 10 images only (all of class a), one held out: 9 / 4 = 3 steps.
        retype(child<QLineEdit>(panel, "data.train_limit"), "10");
        QTRY_VERIFY_WITH_TIMEOUT(caption->text().contains("6 steps: 2 epochs × 3 steps "
                                                          "(9 training samples"),
                                 15000);
    }

    void newRunDropsTheFineTuneSection()
    {
        // What "Fine-tune from here" puts in the form, after a steered parent run.
        auto config = defaultConfig();
        config.optimizer.lr = 0.01;
        config.finetune.run = "7";
        config.finetune.checkpoint = "best";
        config.finetune.loraRank = 4;
        config.finetune.lrMultipliers = {{"fc", 2.0}};
        config.steering = {{120, 0.5, 0.01, 1.0}};
        config.name = "fashion-cnn-ft"; // as Fine-tune from here names it
        HyperparamsPanel panel;
        panel.setConfig(config);
        QCOMPARE(child<QLineEdit>(panel, "finetune.run")->text(), QString("7"));
        QCOMPARE(child<QLineEdit>(panel, "name")->text(), QString("fashion-cnn-ft"));

        panel.startNewRun(); // MainWindow's New run
        QCOMPARE(child<QLineEdit>(panel, "finetune.run")->text(), QString());
        QCOMPARE(child<QLineEdit>(panel, "finetune.checkpoint")->text(), QString());
        QCOMPARE(child<QLineEdit>(panel, "finetune.lora_rank")->text(), QString("0"));
        QCOMPARE(child<QLineEdit>(panel, "finetune.lr_multipliers")->text(), QString());
        QVERIFY(panel.isValid());
        QCOMPARE(panel.config().finetune, train::FineTuneConfig{});
        QVERIFY(panel.config().steering.empty());
        // The user's own settings stay.
        QCOMPARE(panel.config().optimizer.lr, 0.01);
        QCOMPARE(child<QLineEdit>(panel, "name")->text(), QString("fashion-cnn"));
        QCOMPARE(panel.config().data, config.data);
        QCOMPARE(panel.config().model, config.model);
    }
};

LATHE_TEST_MAIN(TestHyperparamsPanel)
#include "tst_hyperparams_panel.moc"
