#include "panels/dataset/open_dataset_dialog.h"

#include "core/plugin/registry.h"
#include "panels/hyperparams/options_text.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

OpenDatasetDialog::OpenDatasetDialog(const train::DataConfig &initial, QWidget *parent)
    : QDialog(parent)
    , m_reader(new QComboBox(this))
    , m_description(new QLabel(this))
    , m_path(new QLineEdit(QString::fromStdString(initial.path), this))
    , m_options(new QLineEdit(this))
    , m_error(new QLabel(this))
{
    setWindowTitle(tr("Open dataset"));
    m_reader->setObjectName(QStringLiteral("readerCombo"));
    for (const std::string &name : plugin::registry().names(plugin::Kind::Dataset))
        m_reader->addItem(QString::fromStdString(name), QString::fromStdString(name));
    m_reader->setCurrentIndex(
        std::max(0, m_reader->findData(QString::fromStdString(initial.dataset))));
    m_description->setObjectName(QStringLiteral("readerDescription"));
    m_description->setWordWrap(true);
    m_path->setObjectName(QStringLiteral("pathEdit"));
    m_options->setObjectName(QStringLiteral("optionsEdit"));
    m_options->setPlaceholderText(tr("key=value, key=value"));
    nlohmann::json options = nlohmann::json::object();
    for (const auto &[key, value] : initial.options)
        options[key] = value;
    m_options->setText(formatOptionsText(options));
    m_error->setObjectName(QStringLiteral("optionsError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->setWordWrap(true);
    m_error->hide();

    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_path, 1);
    auto *file = new QPushButton(tr("File…"), this);
    auto *folder = new QPushButton(tr("Folder…"), this);
    pathRow->addWidget(file);
    pathRow->addWidget(folder);
    connect(file, &QPushButton::clicked, this, [this] { browse(false); });
    connect(folder, &QPushButton::clicked, this, [this] { browse(true); });

    auto *form = new QFormLayout;
    form->addRow(tr("Reader:"), m_reader);
    form->addRow(QString(), m_description);
    form->addRow(tr("Path:"), pathRow);
    form->addRow(tr("Options:"), m_options);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &OpenDatasetDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &OpenDatasetDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    connect(m_reader, &QComboBox::currentIndexChanged, this, &OpenDatasetDialog::showReader);
    showReader();
    resize(560, sizeHint().height());
}

void OpenDatasetDialog::showReader()
{
    const std::string name = m_reader->currentData().toString().toStdString();
    const auto entry = plugin::registry().dataset(name);
    m_description->setText(entry ? tr("%1 (%2)").arg(QString::fromStdString(entry->description),
                                                     QString::fromStdString(entry->source))
                                 : QString());
}

void OpenDatasetDialog::browse(bool folder)
{
    const QString path
        = folder ? QFileDialog::getExistingDirectory(this, tr("Dataset folder"), m_path->text())
                 : QFileDialog::getOpenFileName(this, tr("Dataset file"), m_path->text());
    if (!path.isEmpty())
        m_path->setText(path);
}

train::DataConfig OpenDatasetDialog::data() const
{
    train::DataConfig data;
    data.dataset = m_reader->currentData().toString().toStdString();
    data.path = m_path->text().trimmed().toStdString();
    const nlohmann::json options = parseOptionsText(m_options->text());
    for (const auto &[key, value] : options.items()) {
        if (value.is_string())
            data.options[key] = value.get<std::string>();
    }
    return data;
}

void OpenDatasetDialog::accept()
{
    // parseOptionsText keeps a malformed entry as a key with a null value: name it.
    const nlohmann::json options = parseOptionsText(m_options->text());
    for (const auto &[key, value] : options.items()) {
        if (value.is_null()) {
            m_error->setText(tr("Cannot read the option \"%1\": write key=value, key=value "
                                "(quote a value that holds a comma)")
                                 .arg(QString::fromStdString(key)));
            m_error->show();
            return;
        }
    }
    QDialog::accept();
}

} // namespace lathe::panels
