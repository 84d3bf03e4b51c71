#include "panels/hyperparams/hyperparams_panel.h"

#include "panels/hyperparams/config_form.h"
#include "panels/hyperparams/lr_finder_dialog.h"
#include "panels/hyperparams/schedule_preview.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSplitter>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

constexpr auto kJsonFilter = "Run configs (*.json);;All files (*)";

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
    buttons->addStretch(1);
    m_finderButton = finder;

    m_form = new ConfigForm;
    m_form->setObjectName(QStringLiteral("configForm"));
    auto *scroll = new QScrollArea;
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_preview = new SchedulePreview;
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_preview);
    splitter->addWidget(scroll);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    splitter->setChildrenCollapsible(false);

    layout->addWidget(m_status);
    layout->addLayout(buttons);
    layout->addWidget(splitter, 1);

    connect(open, &QPushButton::clicked, this, &HyperparamsPanel::chooseAndOpen);
    connect(save, &QPushButton::clicked, this, &HyperparamsPanel::chooseAndSave);
    connect(finder, &QPushButton::clicked, this, &HyperparamsPanel::openLrFinder);
    connect(m_form, &ConfigForm::edited, this, &HyperparamsPanel::validate);
    setConfig(m_config);
}

void HyperparamsPanel::setConfig(const train::RunConfig &config)
{
    m_form->setJson(config.toJson());
    validate();
}

void HyperparamsPanel::validate()
{
    auto parsed = train::RunConfig::fromJson(m_form->json());
    if (!parsed) {
        const Error &error = parsed.error();
        const QString key = QString::fromStdString(error.context);
        const QString message = QString::fromStdString(error.message);
        m_form->showError(key, message);
        m_status->setText(QString::fromStdString(error.toString()));
        m_status->setStyleSheet(QStringLiteral("color: #c62828;"));
        setValid(false);
        return;
    }
    m_form->showError({}, {});
    m_status->setText(tr("Config is valid"));
    m_status->setStyleSheet(QStringLiteral("color: #2e7d32;"));
    m_config = *parsed;
    m_preview->setConfig(m_config);
    setValid(true);
    Q_EMIT configChanged(m_config);
}

void HyperparamsPanel::setValid(bool valid)
{
    m_finderButton->setEnabled(valid);
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

void HyperparamsPanel::chooseAndSave()
{
    const QString name = QString::fromStdString(m_config.name) + ".json";
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

} // namespace lathe::panels
