#include "panels/hyperparams/config_form.h"

#include "core/model/model_spec.h"
#include "core/plugin/registry.h"
#include "core/train/lr_schedule.h"
#include "core/train/run_config.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QVBoxLayout>

#include <algorithm>

namespace lathe::panels {

namespace {

using Kind = FormField::Kind;

nlohmann::json::json_pointer pointerOf(const QString &key)
{
    return nlohmann::json::json_pointer("/" + QString(key).replace('.', '/').toStdString());
}

QStringList toStringList(const std::vector<std::string> &items)
{
    QStringList list;
    for (const auto &item : items)
        list << QString::fromStdString(item);
    return list;
}

} // namespace

ConfigForm::ConfigForm(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    addGroup(layout, tr("Run"), {{"name", "Name", Kind::Text, "Shown in the runs list"}});
    addGroup(layout, tr("Model"),
             {{"model.arch", "Architecture", Kind::Choice, "Network from the model zoo"},
              {"model.widths", "Widths", Kind::IntList,
               "Hidden sizes (mlp), channels per block (cnn, resnet-mini), e.g. 24, 48, 96, or "
               "dim, depth, heads, patch (vit-tiny); empty = the architecture's default"},
              {"model.dropout", "Dropout", Kind::Real, "Dropout probability, [0, 1)"}});
    addGroup(layout, tr("Optimizer"),
             {{"optimizer.name", "Optimizer", Kind::Choice, ""},
              {"optimizer.lr", "Learning rate", Kind::Real, "Base rate, e.g. 3e-3"},
              {"optimizer.weight_decay", "Weight decay", Kind::Real, ""},
              {"optimizer.momentum", "Momentum", Kind::Real, "sgd and rmsprop"},
              {"optimizer.nesterov", "Nesterov", Kind::Flag, "sgd only; needs momentum"}});
    addGroup(layout, tr("Schedule"),
             {{"schedule.type", "Schedule", Kind::Choice, "How the rate changes over the run"},
              {"schedule.step_epochs", "Step every (epochs)", Kind::Real, ""},
              {"schedule.milestones", "Milestones (epochs)", Kind::RealList, "e.g. 5, 8"},
              {"schedule.gamma", "Gamma", Kind::Real, "Decay factor"},
              {"schedule.warmup_epochs", "Warm-up (epochs)", Kind::Real, ""},
              {"schedule.min_lr", "Minimum rate", Kind::Real, ""},
              {"schedule.pct_start", "Rising share", Kind::Real, "Share of the run rising"},
              {"schedule.div_factor", "Initial divisor", Kind::Real, "Start = lr / this"},
              {"schedule.final_div_factor", "Final divisor", Kind::Real, "End = start / this"},
              {"schedule.plateau_factor", "Cut factor", Kind::Real, ""},
              {"schedule.plateau_patience", "Patience (epochs)", Kind::Integer, ""},
              {"schedule.plateau_threshold", "Threshold", Kind::Real, "Relative improvement"},
              {"schedule.plateau_cooldown", "Cool-down (epochs)", Kind::Integer, ""}});
    addGroup(
        layout, tr("Training"),
        {{"training.epochs", "Epochs", Kind::Integer, ""},
         {"training.batch_size", "Batch size", Kind::Integer, ""},
         {"training.accumulate", "Accumulate", Kind::Integer, "Micro-batches per optimizer step"},
         {"training.label_smoothing", "Label smoothing", Kind::Real, ""},
         {"training.grad_clip", "Gradient clip", Kind::Real, "Max global L2 norm; 0 = off"},
         {"training.early_stopping_patience", "Early stopping", Kind::Integer,
          "Epochs without validation improvement; 0 = off"},
         {"training.seed", "Seed", Kind::Unsigned, ""},
         {"training.mixed_precision", "Mixed precision", Kind::Choice, ""},
         {"training.device", "Device", Kind::Choice, ""},
         {"training.threads", "Threads", Kind::Integer, "0 = all cores"}});
    addGroup(layout, tr("Augmentation"),
             {{"augment.enabled", "Enabled", Kind::Flag, ""},
              {"augment.crop_padding", "Crop padding (px)", Kind::Integer, ""},
              {"augment.hflip", "Horizontal flip", Kind::Real, "Probability"},
              {"augment.rotate_deg", "Rotation (deg)", Kind::Real, ""},
              {"augment.translate", "Translate", Kind::Real, "Share of the image size"},
              {"augment.erase_prob", "Erase probability", Kind::Real, ""},
              {"augment.erase_max_area", "Erase max area", Kind::Real, ""}});
    addGroup(layout, tr("Inspection"),
             {{"histograms.every", "Histograms every", Kind::Integer,
               "Optimizer steps between weight, gradient and activation histograms; 0 = off"},
              {"histograms.bins", "Histogram bins", Kind::Integer, "[2, 1024]"},
              {"training.keep_epoch_checkpoints", "Keep epoch checkpoints", Kind::Flag,
               "epoch-N.pt for every epoch, to compare epochs in Visualise"}});
    addGroup(layout, tr("Data"),
             {{"data.dataset", "Dataset", Kind::Choice, "A dataset reader, built in or a plugin's"},
              {"data.path", "Path", Kind::Text, "What the reader reads (Fashion-MNIST: the "
                                                 "folder with the IDX .gz files)"},
              {"data.val_fraction", "Validation share", Kind::Real, "[0, 0.5]"},
              {"data.subset", "Subset", Kind::Integer, "First N samples only; 0 = all"},
              {"data.normalize", "Normalize", Kind::Flag, ""}});
    layout->addStretch(1);
}

QStringList ConfigForm::choicesFor(const QString &key) const
{
    if (key == "data.dataset")
        return toStringList(plugin::registry().names(plugin::Kind::Dataset));
    if (key == "model.arch")
        return toStringList(plugin::registry().names(plugin::Kind::Model));
    if (key == "optimizer.name")
        return toStringList(train::optimizerNames());
    if (key == "schedule.type")
        return toStringList(train::scheduleTypeNames());
    if (key == "training.mixed_precision")
        return {"off", "bf16", "fp16"};
    if (key == "training.device")
        return {"cpu", "cuda"};
    return {};
}

void ConfigForm::addGroup(QVBoxLayout *layout, const QString &title, const std::vector<Row> &rows)
{
    auto *box = new QGroupBox(title, this);
    auto *form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    for (const Row &row : rows) {
        const QString key = QString::fromLatin1(row.key);
        auto *field = new FormField(key, row.kind, choicesFor(key), this);
        auto *label = new QLabel(tr(row.label), box);
        const QString help = QString::fromLatin1(row.help);
        label->setToolTip(help.isEmpty() ? key : help + " (" + key + ")");
        form->addRow(label, field->widget());
        connect(field, &FormField::edited, this, [this, field] { onFieldEdited(field); });
        m_fields.push_back(field);
        m_layouts.push_back(form);
    }
    layout->addWidget(box);
}

void ConfigForm::setJson(nlohmann::json json)
{
    m_json = std::move(json);
    for (FormField *field : m_fields) {
        const auto pointer = pointerOf(field->key());
        field->setValue(m_json.contains(pointer) ? m_json.at(pointer) : nlohmann::json());
    }
    updateVisibility();
}

void ConfigForm::setValue(const QString &key, const nlohmann::json &value)
{
    m_json[pointerOf(key)] = value;
    if (FormField *f = field(key))
        f->setValue(value);
    updateVisibility();
    Q_EMIT edited(key);
}

void ConfigForm::onFieldEdited(FormField *field)
{
    m_json[pointerOf(field->key())] = field->value();
    updateVisibility();
    Q_EMIT edited(field->key());
}

FormField *ConfigForm::field(const QString &key) const
{
    for (FormField *f : m_fields) {
        if (f->key() == key)
            return f;
    }
    return nullptr;
}

bool ConfigForm::showError(const QString &key, const QString &message)
{
    bool shown = false;
    for (FormField *f : m_fields) {
        const bool match = !key.isEmpty()
                           && (key == f->key() || key.startsWith(f->key() + "[")
                               || key.startsWith(f->key() + "."));
        f->setError(match ? message : QString());
        shown = shown || match;
    }
    updateVisibility();
    return shown;
}

bool ConfigForm::isRelevant(const QString &key) const
{
    const auto text = [this](const char *pointer) {
        const auto p = nlohmann::json::json_pointer(pointer);
        return m_json.contains(p) && m_json.at(p).is_string() ? m_json.at(p).get<std::string>()
                                                              : std::string();
    };
    if (key == "optimizer.momentum")
        return text("/optimizer/name") == "sgd" || text("/optimizer/name") == "rmsprop";
    if (key == "optimizer.nesterov")
        return text("/optimizer/name") == "sgd";
    if (key.startsWith("schedule.") && key != "schedule.type") {
        // The keys the chosen schedule reads, built in or from a plugin.
        const auto entry = plugin::registry().schedule(text("/schedule/type"));
        const std::string param = key.mid(9).toStdString();
        return entry
               && std::find(entry->keys.begin(), entry->keys.end(), param) != entry->keys.end();
    }
    return true;
}

void ConfigForm::updateVisibility()
{
    const auto enabled = nlohmann::json::json_pointer("/augment/enabled");
    const bool augment = m_json.contains(enabled) && m_json.at(enabled) == true;
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
        FormField *f = m_fields[i];
        m_layouts[i]->setRowVisible(f->widget(), f->hasError() || isRelevant(f->key()));
        if (f->key().startsWith("augment.") && f->key() != "augment.enabled")
            f->editor()->setEnabled(augment || f->hasError());
    }
}

} // namespace lathe::panels
