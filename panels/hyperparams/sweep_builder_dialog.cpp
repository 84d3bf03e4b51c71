#include "panels/hyperparams/sweep_builder_dialog.h"

#include "core/formats/atomic_file.h"
#include "core/sweep/search_space.h"
#include "core/track/metric_keys.h"
#include "core/train/sweep_runner.h"
#include "core/util/file_name.h"
#include "core/util/paths.h"
#include "panels/hyperparams/field_colours.h"
#include "panels/hyperparams/sweep_key_row.h"

#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>
#include <string_view>

namespace lathe::panels {

namespace {

constexpr auto kValidColor = "#2e7d32";
constexpr int kDefaultTrials = 20;
constexpr int kDefaultGridPoints = 5;

/// Whether a sweep may vary `field`: `base` holds its key with the field's type, and it is not
/// one of the keys whose change makes trials incomparable (the data, its split) or changes only
/// how a run is carried out, not what it learns.
bool searchable(const ConfigForm::FieldInfo &field, const nlohmann::json &base)
{
    static const QStringList kFixed{"training.threads", "training.device", "training.fused",
                                    "training.keep_epoch_checkpoints"};
    if (field.key.startsWith("data.") || field.key.startsWith("histograms.")
        || kFixed.contains(field.key))
        return false;
    const auto pointer = sweep::configPointer(field.key.toStdString());
    if (!base.contains(pointer))
        return false;
    const auto &value = base.at(pointer);
    switch (field.kind) {
    case FormField::Kind::Real: return value.is_number();
    case FormField::Kind::Integer:
    case FormField::Kind::Unsigned: return value.is_number_integer();
    case FormField::Kind::Choice: return value.is_string();
    case FormField::Kind::Flag: return value.is_boolean();
    default: return false;
    }
}

/// Conditions for the keys that only some values of a searched choice use, as the form shows
/// a key only for the optimizer or schedule that reads it: momentum searched beside
/// optimizer.name over {sgd, adamw} gets "when": {"optimizer.name": ["sgd"]}.
void addConditions(nlohmann::json &space, const nlohmann::json &base)
{
    for (auto &[key, dimension] : space.items()) {
        for (const auto &[choice, other] : space.items()) {
            if (choice == key || other.value("type", "") != "choice")
                continue;
            auto users = nlohmann::json::array();
            for (const auto &value : other.at("values")) {
                auto config = base;
                config[sweep::configPointer(choice)] = value;
                if (ConfigForm::isUsed(QString::fromStdString(key), config))
                    users.push_back(value);
            }
            if (!users.empty() && users.size() < other.at("values").size())
                dimension["when"][choice] = users;
        }
    }
}

/// The space key an error's context names (`space."optimizer.lr"`), or empty.
QString spaceKey(const std::string &context)
{
    const QString text = QString::fromStdString(context);
    const QString prefix = QStringLiteral("space.\"");
    if (!text.startsWith(prefix) || !text.endsWith('"'))
        return {};
    return text.mid(prefix.size(), text.size() - prefix.size() - 1);
}

QString qString(std::string_view text)
{
    return QString::fromUtf8(text.data(), qsizetype(text.size()));
}

QComboBox *combo(const QString &name, const QStringList &items, const QString &tip)
{
    auto *box = new QComboBox;
    box->setObjectName(name);
    box->addItems(items);
    box->setToolTip(tip);
    return box;
}

QSpinBox *spin(const QString &name, int low, int high, int value, const QString &tip)
{
    auto *box = new QSpinBox;
    box->setObjectName(name);
    box->setRange(low, high);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

} // namespace

SweepBuilderDialog::SweepBuilderDialog(const train::RunConfig &base,
                                       const std::vector<ConfigForm::FieldInfo> &fields,
                                       QWidget *parent)
    : QDialog(parent)
    , m_base(base.toJson())
{
    setWindowTitle(tr("New sweep"));
    auto *intro = new QLabel(tr("Each trial trains this config with the ticked keys drawn from "
                                "their ranges, as a run of its own tagged with the sweep."));
    intro->setWordWrap(true);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("sweepBuilderStatus"));
    m_status->setWordWrap(true);
    m_save = new QPushButton(tr("Save spec…"));
    m_save->setObjectName(QStringLiteral("sweepBuilderSave"));
    m_save->setToolTip(tr("Write the spec (with this config inside) to a JSON file, for "
                          "lathe-cli sweep SPEC"));
    m_start = new QPushButton(tr("Start"));
    m_start->setObjectName(QStringLiteral("sweepBuilderStart"));
    m_start->setToolTip(tr("Run the sweep in the Sweeps panel"));
    m_start->setDefault(true);
    auto *cancel = new QPushButton(tr("Cancel"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_save);
    buttons->addStretch(1);
    buttons->addWidget(m_start);
    buttons->addWidget(cancel);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(buildKeys(fields), 1);
    layout->addWidget(buildSettings(base));
    layout->addWidget(m_status);
    layout->addLayout(buttons);
    resize(820, 640);

    connect(m_save, &QPushButton::clicked, this, &SweepBuilderDialog::chooseAndSave);
    connect(m_start, &QPushButton::clicked, this, &SweepBuilderDialog::start);
    connect(cancel, &QPushButton::clicked, this, &SweepBuilderDialog::reject);
    validate();
}

QWidget *SweepBuilderDialog::buildKeys(const std::vector<ConfigForm::FieldInfo> &fields)
{
    const auto options = train::sweepSpecOptions();
    auto *keys = new QWidget;
    auto *column = new QVBoxLayout(keys);
    std::vector<std::pair<QString, QGridLayout *>> sections;
    for (const auto &field : fields) {
        if (!searchable(field, m_base))
            continue;
        auto section
            = std::ranges::find(sections, field.section, &std::pair<QString, QGridLayout *>::first);
        if (section == sections.end()) {
            auto *box = new QGroupBox(field.section);
            auto *grid = new QGridLayout(box);
            grid->setColumnStretch(2, 1);
            column->addWidget(box);
            sections.emplace_back(field.section, grid);
            section = sections.end() - 1;
        }
        const std::string key = field.key.toStdString();
        const auto accepts = [this, key, check = options.checkConfig](const nlohmann::json &v) {
            const auto config = sweep::applyParams(m_base, {{key, v}});
            return config && check(*config).has_value();
        };
        auto *row = new SweepKeyRow(field, m_base.at(sweep::configPointer(key)), accepts,
                                    section->second, this);
        connect(row, &SweepKeyRow::edited, this, &SweepBuilderDialog::validate);
        m_rows.push_back(row);
    }
    column->addStretch(1);
    // One width for the labels and values of every group, so the editors line up.
    for (int c : {0, 1}) {
        int width = 0;
        for (const auto &[title, grid] : sections)
            for (int r = 0; r < grid->rowCount(); ++r)
                if (auto *item = grid->itemAtPosition(r, c))
                    width = std::max(width, item->sizeHint().width());
        for (const auto &[title, grid] : sections)
            grid->setColumnMinimumWidth(c, width);
    }
    auto *scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("sweepBuilderKeys"));
    scroll->setWidget(keys);
    scroll->setWidgetResizable(true);
    return scroll;
}

QWidget *SweepBuilderDialog::buildSettings(const train::RunConfig &base)
{
    createSettingFields(base);
    auto *box = new QGroupBox(tr("Search"));
    auto *grid = new QGridLayout(box);
    grid->addWidget(new QLabel(tr("Name")), 0, 0);
    grid->addWidget(m_name, 0, 1, 1, 5);
    grid->addWidget(m_nameError, 1, 1, 1, 5);
    grid->addWidget(new QLabel(tr("Objective")), 2, 0);
    grid->addWidget(m_metric, 2, 1);
    grid->addWidget(m_direction, 2, 2);
    grid->addWidget(new QLabel(tr("Trials")), 2, 3);
    grid->addWidget(m_trials, 2, 4);
    grid->addWidget(new QLabel(tr("Sampler")), 3, 0);
    grid->addWidget(m_sampler, 3, 1);
    grid->addWidget(m_seed, 3, 2);
    grid->addWidget(new QLabel(tr("Workers")), 3, 3);
    grid->addWidget(m_workers, 3, 4);
    grid->addWidget(new QLabel(tr("Pruner")), 4, 0);
    grid->addWidget(m_pruner, 4, 1);
    grid->addWidget(m_gridPoints, 4, 2);
    grid->setColumnStretch(5, 1); // the fields keep their natural widths

    connect(m_name, &QLineEdit::textEdited, this, &SweepBuilderDialog::validate);
    connect(m_metric, &QComboBox::currentTextChanged, this, [this](const QString &metric) {
        m_direction->setCurrentText(metric.endsWith("/loss") ? "minimize" : "maximize");
        validate();
    });
    connect(m_sampler, &QComboBox::currentTextChanged, this, [this](const QString &sampler) {
        m_gridPoints->setEnabled(sampler == "grid");
        validate();
    });
    for (auto *choice : {m_direction, m_pruner})
        connect(choice, &QComboBox::currentIndexChanged, this, &SweepBuilderDialog::validate);
    for (auto *number : {m_seed, m_gridPoints, m_trials, m_workers})
        connect(number, &QSpinBox::valueChanged, this, &SweepBuilderDialog::validate);
    return box;
}

void SweepBuilderDialog::createSettingFields(const train::RunConfig &base)
{
    m_name = new QLineEdit(QString::fromStdString(base.name + "-sweep"));
    m_name->setObjectName(QStringLiteral("sweepBuilderName"));
    m_name->setToolTip(tr("The sweep's name; its trials' runs are <name>-t<number>"));
    m_nameError = new QLabel;
    m_nameError->setStyleSheet(QStringLiteral("color: %1;").arg(kErrorColor));
    m_nameError->hide();
    m_metric = combo(QStringLiteral("sweepBuilderMetric"),
                     {qString(track::keys::kValAccuracy), qString(track::keys::kValLoss)},
                     tr("What a trial is worth: the best value of this metric over its run"));
    m_direction = combo(QStringLiteral("sweepBuilderDirection"), {"maximize", "minimize"},
                        tr("Whether a higher or a lower value is better"));
    m_sampler = combo(QStringLiteral("sweepBuilderSampler"), {"tpe", "random", "grid"},
                      tr("tpe: draws where good trials were (random for the first 10); random; "
                         "grid: every combination"));
    m_seed = spin(QStringLiteral("sweepBuilderSeed"), 0, std::numeric_limits<int>::max(), 0,
                  tr("The sampler's seed: the same seed draws the same trials"));
    m_seed->setPrefix(tr("seed "));
    m_gridPoints = spin(QStringLiteral("sweepBuilderGridPoints"), 2, 1000, kDefaultGridPoints,
                        tr("Grid: evenly spaced values of each real range (in log space for a "
                           "log range)"));
    m_gridPoints->setSuffix(tr(" points a range"));
    m_pruner = combo(QStringLiteral("sweepBuilderPruner"), {"asha", "median", "none"},
                     tr("Stops trials that fall behind the others at the same epoch: asha "
                        "(successive halving), median, or none"));
    m_trials = spin(QStringLiteral("sweepBuilderTrials"), 1, 100000, kDefaultTrials,
                    tr("The trial budget"));
    sweep::SweepSpec forWorkers;
    forWorkers.base = m_base;
    m_workers = spin(QStringLiteral("sweepBuilderWorkers"), 1, 1024,
                     train::defaultSweepWorkers(forWorkers),
                     tr("Trials trained at once (default: the cores divided by the threads "
                        "of one trial)"));
    m_gridPoints->setEnabled(false); // the grid sampler's
}

nlohmann::json SweepBuilderDialog::spec() const
{
    const bool grid = m_sampler->currentText() == "grid";
    auto space = nlohmann::json::object();
    for (const SweepKeyRow *row : m_rows)
        if (row->isSearched())
            space[row->key().toStdString()] = row->dimension(grid ? m_gridPoints->value() : 0);
    addConditions(space, m_base);
    return {
        {"name", m_name->text().trimmed().toStdString()},
        {"base", m_base},
        {"space", space},
        {"objective",
         {{"metric", m_metric->currentText().toStdString()},
          {"direction", m_direction->currentText().toStdString()}}},
        {"sampler", {{"name", m_sampler->currentText().toStdString()}, {"seed", m_seed->value()}}},
        {"pruner", {{"name", m_pruner->currentText().toStdString()}}},
        {"trials", m_trials->value()},
        {"workers", m_workers->value()}};
}

void SweepBuilderDialog::validate()
{
    const auto parsed = sweep::parseSweepSpec(spec(), {}, train::sweepSpecOptions());
    const Error error = parsed ? Error{} : parsed.error();
    const QString key = spaceKey(error.context);
    const QString message = QString::fromStdString(error.message);
    for (SweepKeyRow *row : m_rows)
        row->setError(row->key() == key ? message : QString());
    m_nameError->setText(error.context == "name" ? message : QString());
    m_nameError->setVisible(error.context == "name");
    m_valid = parsed.has_value();
    m_save->setEnabled(m_valid);
    m_start->setEnabled(m_valid);
    if (!parsed) {
        const QString text = QString::fromStdString(error.toString());
        showStatus(error.context == "space" ? tr("Tick the keys the trials vary (%1)").arg(text)
                                            : text,
                   true);
        return;
    }
    const auto keys = parsed->space.dimensions.size();
    const QString searched = keys == 1 ? tr("1 key searched") : tr("%1 keys searched").arg(keys);
    showStatus(tr("%1, %2 trials").arg(searched).arg(train::trialBudget(*parsed)), false);
}

void SweepBuilderDialog::showStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(QStringLiteral("color: %1;").arg(error ? kErrorColor : kValidColor));
}

bool SweepBuilderDialog::saveSpec(const QString &path)
{
    validate();
    if (!m_valid)
        return false;
    const auto written = formats::writeFileAtomically(path.toStdString(), spec().dump(2) + "\n");
    if (!written) {
        showStatus(
            tr("Cannot save the spec: %1").arg(QString::fromStdString(written.error().toString())),
            true);
        return false;
    }
    showStatus(tr("Saved to %1").arg(path), false);
    return true;
}

void SweepBuilderDialog::chooseAndSave()
{
    const QString name
        = QString::fromStdString(util::safeFileName(m_name->text().toStdString(), "sweep"));
    auto *dialog = new QFileDialog(this, tr("Save sweep spec"), name + ".json",
                                   tr("Sweep specs (*.json);;All files (*)"));
    dialog->setObjectName(QStringLiteral("sweepBuilderFileDialog"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("json"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, &SweepBuilderDialog::saveSpec);
    dialog->open();
}

void SweepBuilderDialog::start()
{
    const std::string name
        = util::safeFileName(m_name->text().toStdString(), "sweep") + "-"
          + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")).toStdString()
          + ".json";
    const QString path = QString::fromStdString((util::dataDir() / "sweeps" / name).string());
    if (!saveSpec(path))
        return;
    Q_EMIT startRequested(path);
    accept();
}

} // namespace lathe::panels
