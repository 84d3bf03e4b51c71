#include "panels/hyperparams/config_form.h"

#include "core/model/model_spec.h"
#include "core/plugin/registry.h"
#include "core/train/lr_schedule.h"
#include "core/train/run_config.h"
#include "panels/bridge/model_outline.h"
#include "panels/hyperparams/frozen_stages_editor.h"

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

std::string stringAt(const nlohmann::json &json, const char *pointer)
{
    const auto p = nlohmann::json::json_pointer(pointer);
    return json.contains(p) && json.at(p).is_string() ? json.at(p).get<std::string>()
                                                      : std::string();
}

QStringList toStringList(const std::vector<std::string> &items)
{
    QStringList list;
    for (const auto &item : items)
        list << QString::fromStdString(item);
    return list;
}

/// What the form shows for a key the JSON lacks: the defaults of the sections a config holds only
/// when they are on (Fine-tune, Privacy, Robustness), as RunConfig writes them once switched on,
/// with "enabled" shown off; else nothing.
nlohmann::json shownDefault(const QString &key)
{
    static const nlohmann::json sections = [] {
        train::RunConfig config;
        config.finetune.run = "-";
        config.privacy.enabled = true;
        config.adversarial.enabled = true;
        const auto json = config.toJson();
        nlohmann::json keys;
        for (const char *section : {"finetune", "privacy", "adversarial"})
            keys[section] = json.at(section);
        keys["finetune"]["run"] = train::FineTuneConfig().run;
        keys["privacy"]["enabled"] = false;
        keys["adversarial"]["enabled"] = false;
        return keys;
    }();
    const auto dot = key.indexOf('.');
    const std::string section = key.left(dot).toStdString();
    const std::string name = key.mid(dot + 1).toStdString();
    if (dot < 0 || !sections.contains(section) || !sections[section].contains(name))
        return {};
    return sections[section][name];
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
              {"optimizer.nesterov", "Nesterov", Kind::Flag, "sgd only; needs momentum"},
              {"optimizer.beta1", "Beta 1", Kind::Real, "adam and adamw: first-moment decay"},
              {"optimizer.beta2", "Beta 2", Kind::Real, "adam and adamw: second-moment decay"},
              {"optimizer.eps", "Epsilon", Kind::Real,
               "adam, adamw and rmsprop: added to the "
               "denominator"},
              {"optimizer.alpha", "Alpha", Kind::Real, "rmsprop: smoothing constant"}});
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
         {"training.mixed_precision", "Mixed precision", Kind::Choice,
          "auto = bf16 on a CPU with native bf16 (avx512_bf16, AMX), fp32 elsewhere"},
         {"training.device", "Device", Kind::Choice, ""},
         {"training.threads", "Threads", Kind::Integer, "0 = all cores"},
         {"training.fused", "Fused kernels", Kind::Flag,
          "Lathe's fused Adam/AdamW step and softmax cross-entropy"},
         {"training.sync_batch_norm", "Sync batch norm", Kind::Flag,
          "With more than one worker: batch norm statistics of the whole global batch"}});
    addGroup(layout, tr("Augmentation"),
             {{"augment.enabled", "Enabled", Kind::Flag, ""},
              {"augment.crop_padding", "Crop padding (px)", Kind::Integer, ""},
              {"augment.hflip", "Horizontal flip", Kind::Real, "Probability"},
              {"augment.rotate_deg", "Rotation (deg)", Kind::Real, ""},
              {"augment.translate", "Translate", Kind::Real, "Share of the image size"},
              {"augment.erase_prob", "Erase probability", Kind::Real, ""},
              {"augment.erase_max_area", "Erase max area", Kind::Real, ""},
              {"augment.extra", "Extra augmentations", Kind::Extensions,
               "Registered augmentations applied after the ones above, in this order; options "
               "as key=value, key=value (e.g. prob=0.3)"}});
    addGroup(layout, tr("Inspection"),
             {{"histograms.every", "Histograms every", Kind::Integer,
               "Optimizer steps between weight, gradient and activation histograms; 0 = off"},
              {"histograms.bins", "Histogram bins", Kind::Integer, "[2, 1024]"},
              {"training.keep_epoch_checkpoints", "Keep epoch checkpoints", Kind::Flag,
               "epoch-N.pt for every epoch, to compare epochs in Visualise"}});
    addGroup(layout, tr("Metrics"),
             {{"metrics", "Also computed at every evaluation", Kind::Extensions,
               "Registered metrics, recorded as <split>/<metric>/<value> and plotted like the "
               "built-in ones; options as key=value, key=value (e.g. column=alcohol)"}});
    addGroup(layout, tr("Data"),
             {{"data.dataset", "Dataset", Kind::Choice, "A dataset reader, built in or a plugin's"},
              {"data.path", "Path", Kind::Path,
               "What the reader reads (Fashion-MNIST: the "
               "folder with the IDX .gz files)"},
              {"data.options", "Reader options", Kind::Options,
               "The reader's own options as key=value, key=value"},
              {"data.classes", "Classes", Kind::IntList,
               "Keep only these class indices, in this order (they become labels 0..n-1); "
               "empty = every class"},
              {"data.train_limit", "Training limit", Kind::Integer,
               "First N training samples only, before the validation split; 0 = all"},
              {"data.val_fraction", "Validation share", Kind::Real, "[0, 0.5]"},
              {"data.subset", "Subset", Kind::Integer, "First N samples only; 0 = all"},
              {"data.normalize", "Normalize", Kind::Flag, ""}});
    addFineTuneGroup(layout);
    addGroup(layout, tr("Robustness"),
             {{"adversarial.enabled", "Adversarial training", Kind::Flag,
               "Train on adversarial examples (docs/robustness.md); val/robust_accuracy is "
               "recorded each epoch"},
              {"adversarial.attack", "Attack", Kind::Choice,
               "pgd: several projected steps; fgsm: one step (from a random start: fast FGSM)"},
              {"adversarial.epsilon", "Epsilon", Kind::Real,
               "L-infinity radius in pixel units (images in [0, 1]), (0, 1]"},
              {"adversarial.steps", "PGD steps", Kind::Integer, "Steps per example, >= 1"},
              {"adversarial.step_size", "Step size", Kind::Real,
               "Pixel units; 0 = 2.5 x epsilon / steps (PGD), 1.25 x epsilon (FGSM)"},
              {"adversarial.random_start", "Random start", Kind::Flag,
               "Start each attack from a random point of the epsilon ball"},
              {"adversarial.mix_ratio", "Adversarial share", Kind::Real,
               "Share of each batch replaced by its adversarial examples, (0, 1]"},
              {"adversarial.eval_samples", "Robust eval samples", Kind::Integer,
               "Validation samples attacked each epoch for val/robust_accuracy; 0 = none"},
              {"adversarial.eval_steps", "Robust eval steps", Kind::Integer,
               "PGD steps of that evaluation"}});
    addGroup(layout, tr("Privacy"),
             {{"privacy.enabled", "Differential privacy", Kind::Flag,
               "Train with DP-SGD (docs/privacy.md): Poisson batches of expected size batch_size, "
               "per-example clipping and Gaussian noise; privacy/epsilon is recorded each step. "
               "Batch norm models are refused (use cnn-gn-tanh, cnn-gn or cnn-tanh)"},
              {"privacy.target_epsilon", "Target epsilon", Kind::Real,
               "The noise is solved so the run ends at this epsilon, (0, 1000]; or give the "
               "noise multiplier, not both"},
              {"privacy.noise_multiplier", "Noise multiplier", Kind::Real,
               "sigma: noise std / max gradient norm, (0, 1000]"},
              {"privacy.max_grad_norm", "Max gradient norm", Kind::Real,
               "C: each example's gradient is clipped to this L2 norm"},
              {"privacy.delta", "Delta", Kind::Real,
               "(0, 1); empty = 1/N rounded down to a power of ten"},
              {"privacy.physical_batch_size", "Physical batch", Kind::Integer,
               "Examples per forward pass (memory); 0 = the whole batch at once"},
              {"privacy.orders", "RDP orders", Kind::RealList,
               "The accountant's Renyi orders; empty = 1.1 ... 10.9, 12 ... 63"}});
    layout->addStretch(1);
}

void ConfigForm::addFineTuneGroup(QVBoxLayout *layout)
{
    auto *form = addGroup(
        layout, tr("Fine-tune"),
        {{"finetune.run", "Start from run", Kind::Text,
          "A run id or name whose checkpoint gives the initial weights; empty = train from "
          "scratch"},
         {"finetune.checkpoint", "Checkpoint", Kind::Text, "best, last or epoch-N of that run"},
         {"finetune.torchscript", "TorchScript file", Kind::Path,
          "Your own model, scripted or traced and saved by PyTorch (torch.jit.save), trained "
          "instead of the architecture above; its last Linear is replaced when its output size "
          "differs from the class count; empty = none"},
         {"finetune.safetensors", "Safetensors file", Kind::Path,
          "Initial weights whose tensor names match the model (e.g. conv1.weight); empty = none"},
         {"finetune.new_head", "New head", Kind::Flag,
          "Re-initialise the last stage even when its shape fits"},
         {"finetune.unfreeze_after", "Unfreeze after (epochs)", Kind::Integer,
          "Epochs trained with the ticked stages frozen; 0 = they stay frozen"},
         {"finetune.lr_multipliers", "Learning-rate multipliers", Kind::NumberMap,
          "Stage or layer=multiplier, e.g. conv1=0.1, layer4=0.5; others use 1"},
         {"finetune.lora_rank", "LoRA rank", Kind::Integer,
          "LoRA adapters when > 0 (on Linear stages; on an imported model's Linear and Conv2d "
          "layers), base weights frozen; 0 = off"},
         {"finetune.lora_alpha", "LoRA alpha", Kind::Real, "LoRA scale = alpha / rank"},
         {"finetune.lora_dropout", "LoRA dropout", Kind::Real,
          "Dropout on the LoRA path's input, [0, 1) (Lathe's own models)"},
         {"finetune.lora_targets", "LoRA stages", Kind::StringList,
          "Linear stages or imported layers (and what is under them) to adapt, e.g. fc1, "
          "layer4; empty = all"},
         {"finetune.distill_run", "Teacher run", Kind::Text,
          "Distil from this run (id or name); empty = no distillation"},
         {"finetune.distill_checkpoint", "Teacher checkpoint", Kind::Text,
          "best, last or epoch-N of the teacher; empty = best, else last"},
         {"finetune.distill_weight", "Distillation weight", Kind::Real,
          "Share of the soft (teacher) loss in the total loss, [0, 1]"},
         {"finetune.distill_temperature", "Temperature", Kind::Real,
          "Softmax temperature of the teacher and student, (0, 100]"}});
    FormField *torchscript = field(QStringLiteral("finetune.torchscript"));
    torchscript->setNameFilter(tr("TorchScript modules (*.pt *.pth *.ts);;All files (*)"));
    // Loading a TorchScript file runs the code in it (torch.jit.load), as soon as it is chosen.
    torchscript->setNote(tr("⚠ A TorchScript file runs code when it loads: only choose files you "
                            "trust. For weights of one of Lathe's own architectures, use a "
                            "safetensors file instead: it holds weights only."));
    field(QStringLiteral("finetune.safetensors"))
        ->setNameFilter(tr("Safetensors (*.safetensors);;All files (*)"));
    m_frozen = new FrozenStagesEditor;
    auto *label = new QLabel(tr("Frozen stages"));
    label->setToolTip(tr("Ticked stages do not train (finetune.freeze)"));
    // Under the weight sources, above "Unfreeze after" which it goes with.
    form->insertRow(5, label);
    form->insertRow(6, m_frozen);
    connect(m_frozen, &FrozenStagesEditor::edited, this, [this] {
        nlohmann::json names = nlohmann::json::array();
        for (const QString &name : m_frozen->frozen())
            names.push_back(name.toStdString());
        m_json[pointerOf(QStringLiteral("finetune.freeze"))] = names;
        Q_EMIT edited(QStringLiteral("finetune.freeze"));
    });
}

void ConfigForm::updateOutline()
{
    const auto model = nlohmann::json::json_pointer("/model");
    const auto dataset = stringAt(m_json, "/data/dataset");
    const auto imported = stringAt(m_json, "/finetune/torchscript");
    ModelOutline outline;
    auto spec = model::ModelSpec::fromJson(m_json.contains(model) ? m_json.at(model)
                                                                  : nlohmann::json::object(),
                                           plugin::registry().names(plugin::Kind::Model));
    if (!imported.empty())
        outline = importedOutline(imported, dataset); // the model trained is that file's
    else if (spec)
        outline = modelOutline(*spec, dataset);
    else
        outline.error = spec.error().message;
    m_frozen->setOutline(outline);
    QStringList names;
    const auto freeze = nlohmann::json::json_pointer("/finetune/freeze");
    if (m_json.contains(freeze) && m_json.at(freeze).is_array()) {
        for (const auto &name : m_json.at(freeze))
            if (name.is_string())
                names << QString::fromStdString(name.get<std::string>());
    }
    m_frozen->setFrozen(names);
    updateLoraNote();
}

void ConfigForm::updateLoraNote()
{
    const auto rank = nlohmann::json::json_pointer("/finetune/lora_rank");
    m_frozen->setLoraRank(m_json.contains(rank) && m_json.at(rank).is_number_integer()
                              ? m_json.at(rank).get<std::int64_t>()
                              : 0);
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
        return {"auto", "off", "bf16", "fp16"};
    if (key == "training.device")
        return {"cpu", "cuda"};
    if (key == "adversarial.attack")
        return {"pgd", "fgsm"};
    return {};
}

std::vector<ExtensionChoice> ConfigForm::extensionChoicesFor(const QString &key) const
{
    const auto kind = key == "metrics" ? plugin::Kind::Metric : plugin::Kind::Augmentation;
    std::vector<ExtensionChoice> choices;
    for (const auto &name : plugin::registry().names(kind)) {
        std::string description;
        if (kind == plugin::Kind::Metric) {
            if (const auto entry = plugin::registry().metric(name))
                description = entry->description;
        } else if (const auto entry = plugin::registry().augmentation(name)) {
            description = entry->description;
        }
        choices.push_back({QString::fromStdString(name), QString::fromStdString(description),
                           QString::fromStdString(plugin::registry().source(kind, name))});
    }
    return choices;
}

QFormLayout *ConfigForm::addGroup(QVBoxLayout *layout, const QString &title,
                                  const std::vector<Row> &rows)
{
    auto *box = new QGroupBox(title, this);
    auto *form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    for (const Row &row : rows) {
        const QString key = QString::fromLatin1(row.key);
        auto *field = row.kind == Kind::Extensions
                          ? new FormField(key, extensionChoicesFor(key), this)
                          : new FormField(key, row.kind, choicesFor(key), this);
        auto *label = new QLabel(tr(row.label), box);
        const QString help = QString::fromLatin1(row.help);
        label->setToolTip(help.isEmpty() ? key : help + " (" + key + ")");
        if (row.kind == Kind::Extensions) {
            // A list of rows needs the group's whole width: its label goes above it.
            form->addRow(label);
            form->addRow(field->widget());
        } else {
            form->addRow(label, field->widget());
        }
        connect(field, &FormField::edited, this, [this, field] { onFieldEdited(field); });
        m_fields.push_back(field);
        m_layouts.push_back(form);
    }
    layout->addWidget(box);
    return form;
}

void ConfigForm::setJson(nlohmann::json json)
{
    m_json = std::move(json);
    for (FormField *field : m_fields) {
        const auto pointer = pointerOf(field->key());
        field->setValue(m_json.contains(pointer) ? m_json.at(pointer) : shownDefault(field->key()));
    }
    updateOutline();
    updateVisibility();
}

void ConfigForm::setValue(const QString &key, const nlohmann::json &value)
{
    m_json[pointerOf(key)] = value;
    if (FormField *f = field(key))
        f->setValue(value);
    afterEdit(key);
    updateVisibility();
    Q_EMIT edited(key);
}

void ConfigForm::onFieldEdited(FormField *field)
{
    m_json[pointerOf(field->key())] = field->value();
    afterEdit(field->key());
    updateVisibility();
    Q_EMIT edited(field->key());
}

void ConfigForm::afterEdit(const QString &key)
{
    // The stage list follows the model (built once per arch and widths, see modelOutline()).
    if (key == "model.arch" || key == "model.widths" || key == "data.dataset"
        || key == "finetune.freeze" || key == "finetune.torchscript")
        updateOutline();
    else if (key == "finetune.lora_rank")
        updateLoraNote();
}

FormField *ConfigForm::field(const QString &key) const
{
    for (FormField *f : m_fields) {
        if (f->key() == key)
            return f;
    }
    return nullptr;
}

std::vector<ConfigForm::FieldInfo> ConfigForm::fieldInfos() const
{
    std::vector<FieldInfo> infos;
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
        const FormField *f = m_fields[i];
        FieldInfo info{f->key(), {}, f->key(), f->key(), f->kind(), choicesFor(f->key())};
        if (auto *box = qobject_cast<QGroupBox *>(m_layouts[i]->parentWidget()))
            info.section = box->title();
        if (auto *label = qobject_cast<QLabel *>(m_layouts[i]->labelForField(f->widget()))) {
            info.label = label->text();
            info.tip = label->toolTip();
        }
        infos.push_back(std::move(info));
    }
    return infos;
}

bool ConfigForm::showError(const QString &key, const QString &message)
{
    bool shown = false;
    for (FormField *f : m_fields) {
        const bool match = !key.isEmpty()
                           && (key == f->key() || key.startsWith(f->key() + "[")
                               || key.startsWith(f->key() + "."));
        f->setError(match ? message : QString(), key);
        shown = shown || match;
    }
    updateVisibility();
    return shown;
}

bool ConfigForm::isUsed(const QString &key, const nlohmann::json &config)
{
    const auto text = [&config](const char *pointer) { return stringAt(config, pointer); };
    if (key == "optimizer.momentum")
        return text("/optimizer/name") == "sgd" || text("/optimizer/name") == "rmsprop";
    if (key == "optimizer.nesterov")
        return text("/optimizer/name") == "sgd";
    if (key == "optimizer.beta1" || key == "optimizer.beta2")
        return text("/optimizer/name") == "adam" || text("/optimizer/name") == "adamw";
    if (key == "optimizer.eps")
        return text("/optimizer/name") != "sgd";
    if (key == "optimizer.alpha")
        return text("/optimizer/name") == "rmsprop";
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
    // An imported model (finetune.torchscript) is trained instead of the zoo's architecture.
    const bool imported = !stringAt(m_json, "/finetune/torchscript").empty();
    for (std::size_t i = 0; i < m_fields.size(); ++i) {
        FormField *f = m_fields[i];
        m_layouts[i]->setRowVisible(f->widget(), f->hasError() || isUsed(f->key(), m_json));
        if (f->key().startsWith("augment.") && f->key() != "augment.enabled")
            f->editor()->setEnabled(augment || f->hasError());
        if (f->key().startsWith("model.") && !f->hasError()) {
            f->editor()->setEnabled(!imported);
            f->editor()->setToolTip(imported ? tr("Not used: the TorchScript file in Fine-tune "
                                                  "is the model")
                                             : QString());
        }
    }
    updateReaderHint();
}

void ConfigForm::updateReaderHint()
{
    const std::string name = stringAt(m_json, "/data/dataset");
    // The built-in readers of a folder; the others (idx, csv, plugins) read a file.
    if (FormField *path = field(QStringLiteral("data.path")))
        path->setPathIsFolder(name == "fashion-mnist" || name == "image-folder");
    // What the chosen reader says about its options (csv lists them), on the options label.
    FormField *options = field(QStringLiteral("data.options"));
    const auto index = std::find(m_fields.begin(), m_fields.end(), options) - m_fields.begin();
    QWidget *label
        = options ? m_layouts[std::size_t(index)]->labelForField(options->widget()) : nullptr;
    if (!label)
        return;
    const auto reader = plugin::registry().dataset(name);
    QString tip = tr("The reader's own options as key=value, key=value (data.options)");
    if (reader && !reader->description.empty())
        tip += "\n" + QString::fromStdString(name + ": " + reader->description);
    label->setToolTip(tip);
}

} // namespace lathe::panels
