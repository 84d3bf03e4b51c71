#include "panels/hyperparams/hyperparams_panel.h"

#include "core/util/file_name.h"
#include "panels/common/fine_tune_name.h"
#include "panels/hyperparams/config_form.h"
#include "panels/hyperparams/lr_finder_dialog.h"
#include "panels/hyperparams/schedule_preview.h"
#include "panels/hyperparams/sweep_builder_dialog.h"
#include "panels/hyperparams/workers_field.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

constexpr auto kJsonFilter = "Run configs (*.json);;All files (*)";
constexpr int kCountDelayMs = 300; ///< a pause in typing before the data is read again

QPushButton *addButton(QHBoxLayout *row, const QString &text, const QString &tip)
{
    auto *button = new QPushButton(text);
    button->setToolTip(tip);
    row->addWidget(button);
    return button;
}

} // namespace

HyperparamsPanel::HyperparamsPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("configStatus"));
    m_status->setWordWrap(true);
    auto *buttons = new QHBoxLayout;
    auto *open = addButton(buttons, tr("Open…"), tr("Load a run config JSON file"));
    auto *save = addButton(buttons, tr("Save…"), tr("Save this config as JSON"));
    auto *finder = addButton(buttons, tr("Find LR…"),
                             tr("Sweep the learning rate on a data subset and suggest one"));
    finder->setObjectName(QStringLiteral("findLr"));
    auto *sweep = addButton(buttons, tr("New sweep…"),
                            tr("Search over ranges of these settings, each trial a run"));
    sweep->setObjectName(QStringLiteral("newSweep"));
    buttons->addStretch(1);
    m_finderButton = finder;
    m_sweepButton = sweep;
    m_probe = new DatasetProbe(this);
    m_probeTimer = new QTimer(this);
    m_probeTimer->setSingleShot(true);
    m_probeTimer->setInterval(kCountDelayMs);

    m_form = new ConfigForm;
    m_form->setObjectName(QStringLiteral("configForm"));
    m_formScroll = new QScrollArea;
    m_formScroll->setWidget(m_form);
    m_formScroll->setWidgetResizable(true);
    m_formScroll->setFrameShape(QFrame::NoFrame);
    m_preview = new SchedulePreview;
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_preview);
    splitter->addWidget(m_formScroll);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);

    layout->addWidget(m_status);
    layout->addWidget(buildDataNote());
    layout->addLayout(buttons);
    m_workers = new WorkersField(this);
    layout->addWidget(m_workers);
    layout->addWidget(splitter, 1);

    connect(open, &QPushButton::clicked, this, &HyperparamsPanel::chooseAndOpen);
    connect(save, &QPushButton::clicked, this, &HyperparamsPanel::chooseAndSave);
    connect(finder, &QPushButton::clicked, this, &HyperparamsPanel::openLrFinder);
    connect(sweep, &QPushButton::clicked, this, &HyperparamsPanel::openSweepBuilder);
    connect(m_form, &ConfigForm::edited, this, &HyperparamsPanel::validate);
    connect(m_probeTimer, &QTimer::timeout, this, [this] {
        m_counting = DatasetCount();
        m_counting->data = m_config.data;
        m_counting->seed = m_config.training.seed;
        m_probe->count(m_config.data, m_config.training.seed);
    });
    connect(m_probe, &DatasetProbe::counted, this, &HyperparamsPanel::onCounted);
    setConfig(m_config);
}

int HyperparamsPanel::workers() const
{
    return m_workers->workers();
}

QWidget *HyperparamsPanel::buildDataNote()
{
    m_dataNote = new QWidget(this);
    m_dataNoteText = new QLabel(m_dataNote);
    m_dataNoteText->setObjectName(QStringLiteral("dataNote"));
    m_dataNoteText->setWordWrap(true);
    auto *undo = new QPushButton(tr("Undo"), m_dataNote);
    undo->setObjectName(QStringLiteral("undoData"));
    undo->setToolTip(tr("Put the data section back as it was"));
    connect(undo, &QPushButton::clicked, this, &HyperparamsPanel::undoData);
    auto *row = new QHBoxLayout(m_dataNote);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_dataNoteText, 1);
    row->addWidget(undo);
    m_dataNote->hide();
    return m_dataNote;
}

void HyperparamsPanel::setConfig(const train::RunConfig &config)
{
    m_dataNote->hide();
    m_form->setJson(config.toJson());
    validate();
}

void HyperparamsPanel::useData(const train::DataConfig &data)
{
    nlohmann::json json = m_form->json();
    nlohmann::json &section = json["data"];
    if (!section.is_object())
        section = nlohmann::json::object();
    train::RunConfig opened;
    opened.data = data;
    const nlohmann::json options = opened.toJson().at("data").at("options");
    if (section.value("dataset", "") == data.dataset && section.value("path", "") == data.path
        && section.value("options", nlohmann::json::object()) == options)
        return;
    m_dataBefore = section;
    section["dataset"] = data.dataset;
    section["path"] = data.path;
    section["options"] = options;
    section["classes"] = nlohmann::json::array();
    m_form->setJson(std::move(json));
    m_dataNoteText->setText(
        tr("The next run trains on %1 at %2, opened in the Dataset panel.")
            .arg(QString::fromStdString(data.dataset), QString::fromStdString(data.path)));
    m_dataNote->show();
    validate();
}

void HyperparamsPanel::undoData()
{
    nlohmann::json json = m_form->json();
    json["data"] = m_dataBefore;
    m_form->setJson(std::move(json));
    m_dataNote->hide();
    validate();
}

void HyperparamsPanel::startNewRun()
{
    nlohmann::json json = m_form->json();
    // A fine-tune's name says so ("<parent>-ft"); the run without it is not one.
    if (json.contains("finetune") && json.contains("name"))
        json["name"] = withoutFineTuneSuffix(json["name"].get<std::string>());
    json.erase("finetune");
    json.erase("steering");
    m_dataNote->hide();
    m_form->setJson(std::move(json));
    validate();
}

std::optional<std::pair<QString, QString>>
HyperparamsPanel::dataProblem(const train::RunConfig &config)
{
    // A stat each: cheap enough to run on every edit.
    for (const auto &[key, path] :
         {std::pair{"finetune.torchscript", &config.finetune.torchscript},
          std::pair{"finetune.safetensors", &config.finetune.safetensors}}) {
        if (!path->empty() && !QFileInfo(QString::fromStdString(*path)).isFile())
            return std::pair{QString::fromLatin1(key),
                             tr("no such file: %1").arg(QString::fromStdString(*path))};
    }
    if (m_count && m_count->isOf(config.data, config.training.seed) && !m_count->ok())
        return std::pair{QStringLiteral("data.path"), m_count->error};
    return std::nullopt;
}

void HyperparamsPanel::showInvalid(const QString &key, const QString &message,
                                   const QString &status)
{
    m_form->showError(key, message);
    m_status->setText(status);
    m_status->setStyleSheet(QStringLiteral("color: #c62828;"));
    setValid(false);
}

void HyperparamsPanel::validate()
{
    auto parsed = train::RunConfig::fromJson(m_form->json());
    if (!parsed) {
        const Error &error = parsed.error();
        showInvalid(QString::fromStdString(error.context), QString::fromStdString(error.message),
                    QString::fromStdString(error.toString()));
        return;
    }
    const auto &data = parsed->data;
    const std::uint64_t seed = parsed->training.seed;
    const bool counted = m_count && m_count->isOf(data, seed);
    if (!counted && !(m_counting && m_counting->isOf(data, seed)))
        m_probeTimer->start(); // restarted by every edit: one read once the typing pauses
    m_config = *parsed;
    if (const auto problem = dataProblem(m_config)) {
        showInvalid(problem->first, problem->second,
                    tr("Cannot use this config: %1: %2").arg(problem->first, problem->second));
        return;
    }
    m_form->showError({}, {});
    m_status->setText(counted ? tr("Config is valid")
                              : tr("Config is valid; reading the data to check it…"));
    m_status->setStyleSheet(QStringLiteral("color: #2e7d32;"));
    const bool usable = m_count && m_count->ok();
    m_preview->setConfig(m_config,
                         usable ? std::optional<std::int64_t>(m_count->trainSamples) : std::nullopt,
                         !counted);
    setValid(true);
    Q_EMIT configChanged(m_config);
}

void HyperparamsPanel::onCounted(const DatasetCount &count)
{
    if (m_counting && m_counting->isOf(count.data, count.seed))
        m_counting.reset();
    // A count of data the form no longer names is superseded (the newer one is on its way).
    if (!count.isOf(m_config.data, m_config.training.seed))
        return;
    m_count = count;
    validate();
    if (count.ok())
        Q_EMIT dataReadable(count.data);
}

void HyperparamsPanel::setValid(bool valid)
{
    m_finderButton->setEnabled(valid);
    m_sweepButton->setEnabled(valid);
    if (valid == m_valid)
        return;
    m_valid = valid;
    Q_EMIT validityChanged(valid);
}

bool HyperparamsPanel::openConfig(const QString &path)
{
    auto config = train::loadRunConfig(path.toStdString());
    if (!config) {
        showFileError(tr("Cannot open %1").arg(path), config.error());
        return false;
    }
    setConfig(*config);
    return true;
}

bool HyperparamsPanel::saveConfig(const QString &path)
{
    const QString what = tr("Cannot save %1").arg(path);
    if (!m_valid) {
        const std::string why = "the form has an error; fix it before saving ("
                                + m_status->text().toStdString() + ")";
        showFileError(what, Error{ErrorCode::InvalidArgument, why, {}});
        return false;
    }
    QSaveFile file(path);
    const QByteArray text = QByteArray::fromStdString(m_config.toJson().dump(2) + "\n");
    if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size() || !file.commit()) {
        showFileError(what,
                      Error{ErrorCode::Io, file.errorString().toStdString(), path.toStdString()});
        return false;
    }
    return true;
}

void HyperparamsPanel::showFileError(const QString &what, const Error &error)
{
    auto *box
        = new QMessageBox(QMessageBox::Warning, tr("Run config"), what, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("configFileError"));
    box->setInformativeText(QString::fromStdString(error.toString()));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void HyperparamsPanel::chooseAndOpen()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open run config"), {}, tr(kJsonFilter));
    if (!path.isEmpty())
        openConfig(path);
}

void HyperparamsPanel::useModel(const QString &path)
{
    auto config = m_config;
    config.finetune.torchscript = path.toStdString();
    setConfig(config);
    // Show what the file holds: its layers, under the file's field (once the form is laid out).
    QTimer::singleShot(0, this, [this] {
        if (auto *layers = m_form->findChild<QWidget *>(QStringLiteral("finetune.freeze")))
            m_formScroll->ensureWidgetVisible(layers);
    });
}

void HyperparamsPanel::chooseAndSave()
{
    const QString name = QString::fromStdString(util::safeFileName(m_config.name, "run")) + ".json";
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Save run config"), name, tr(kJsonFilter));
    if (!path.isEmpty())
        saveConfig(path);
}

void HyperparamsPanel::openLrFinder()
{
    if (!m_valid)
        return;
    auto *dialog = new LrFinderDialog(m_config, this);
    dialog->setObjectName(QStringLiteral("lrFinderDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &LrFinderDialog::lrChosen, this,
            [this](double lr) { m_form->setValue(QStringLiteral("optimizer.lr"), lr); });
    dialog->open();
    dialog->start();
}

void HyperparamsPanel::openSweepBuilder()
{
    if (!m_valid)
        return;
    auto *dialog = new SweepBuilderDialog(m_config, m_form->fieldInfos(), this);
    dialog->setObjectName(QStringLiteral("sweepBuilderDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &SweepBuilderDialog::startRequested, this,
            &HyperparamsPanel::sweepStartRequested);
    dialog->open();
}

} // namespace lathe::panels
