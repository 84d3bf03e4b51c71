#include "panels/hyperparams/sweep_key_row.h"

#include "panels/hyperparams/field_colours.h"

#include <QCheckBox>
#include <QDoubleValidator>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

#include <algorithm>
#include <cstdint>

namespace lathe::panels {

namespace {

constexpr int kHalvings = 20; ///< how far a default bound may move towards the current value
constexpr int kValueColumns = 4;

/// Keys searched on a log scale by default: rates and decays that span orders of magnitude.
bool logScaled(const QString &key)
{
    const QString name = key.section('.', -1);
    return name == "lr" || name == "weight_decay" || name == "eps";
}

/// A first range around a real `value`: a decade either side on a log scale; a share or
/// probability in (0, 1) stays below 1; otherwise half to twice the value.
std::pair<double, double> realRange(double value, bool log)
{
    if (log)
        return value > 0 ? std::pair{value / 10, value * 10} : std::pair{1e-5, 1e-1};
    if (value == 0)
        return {0.0, 1.0};
    if (value > 0 && value < 1)
        return {value / 2, (1 + value) / 2};
    return {std::min(value / 2, value * 2), std::max(value / 2, value * 2)};
}

std::pair<std::int64_t, std::int64_t> intRange(std::int64_t value)
{
    if (value == 0)
        return {0, 4};
    return {std::min(value / 2, value * 2), std::max(value / 2, value * 2)};
}

/// `bound`, moved halfway towards `value` until the config accepts it (integers round towards
/// `value`); `value` when no such bound is found.
template<typename T>
T fitted(T bound, T value, const SweepKeyRow::Accepts &accepts)
{
    for (int i = 0; i < kHalvings && bound != value; ++i) {
        if (accepts(nlohmann::json(bound)))
            return bound;
        bound = value + (bound - value) / 2;
    }
    return value;
}

QString shown(const nlohmann::json &value)
{
    return value.is_string() ? QString::fromStdString(value.get<std::string>())
                             : QString::fromStdString(value.dump());
}

QString formatReal(double value)
{
    return QString::number(value, 'g', 6);
}

} // namespace

SweepKeyRow::SweepKeyRow(const ConfigForm::FieldInfo &field, const nlohmann::json &current,
                         const Accepts &accepts, QGridLayout *grid, QObject *parent)
    : QObject(parent)
    , m_key(field.key)
{
    using FieldKind = FormField::Kind;
    m_kind = field.kind == FieldKind::Real                                           ? Kind::Real
             : field.kind == FieldKind::Integer || field.kind == FieldKind::Unsigned ? Kind::Integer
                                                                                     : Kind::Choice;
    m_search = new QCheckBox(field.label);
    m_search->setObjectName(m_key + ".search");
    m_search->setToolTip(field.tip);
    auto *value = new QLabel(shown(current));
    value->setToolTip(tr("The base config's value"));
    value->setEnabled(false);                               // greyed: for reference only
    value->setMinimumHeight(m_search->sizeHint().height()); // level with the check box's text

    m_editor = m_kind == Kind::Choice ? createValueSet(field, current)
                                      : createRangeEditor(current, accepts);
    m_editor->hide();
    m_error = new QLabel;
    m_error->setObjectName(m_key + ".error");
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(kErrorColor));
    m_error->hide();
    auto *cell = new QWidget;
    auto *column = new QVBoxLayout(cell);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(2);
    column->addWidget(m_editor);
    column->addWidget(m_error);

    const int row = grid->rowCount();
    grid->addWidget(m_search, row, 0, Qt::AlignTop);
    grid->addWidget(value, row, 1, Qt::AlignTop);
    grid->addWidget(cell, row, 2);
    connect(m_search, &QCheckBox::toggled, this, [this](bool on) {
        m_editor->setVisible(on);
        Q_EMIT edited();
    });
}

bool SweepKeyRow::isSearched() const
{
    return m_search->isChecked();
}

QLineEdit *SweepKeyRow::addNumberEdit(const QString &suffix, const QString &tip)
{
    auto *edit = new QLineEdit;
    edit->setObjectName(m_key + suffix);
    edit->setToolTip(tip);
    edit->setMaximumWidth(edit->fontMetrics().horizontalAdvance(QStringLiteral("0.000000001"))
                          + 16);
    if (m_kind == Kind::Integer) {
        edit->setValidator(
            new QRegularExpressionValidator(QRegularExpression(QStringLiteral("-?[0-9]*")), edit));
    } else {
        auto *validator = new QDoubleValidator(edit);
        validator->setLocale(QLocale::c());
        validator->setNotation(QDoubleValidator::ScientificNotation);
        edit->setValidator(validator);
    }
    connect(edit, &QLineEdit::textEdited, this, &SweepKeyRow::edited);
    return edit;
}

QWidget *SweepKeyRow::createRangeEditor(const nlohmann::json &current, const Accepts &accepts)
{
    auto *editor = new QWidget;
    auto *line = new QHBoxLayout(editor);
    line->setContentsMargins(0, 0, 0, 0);
    m_low = addNumberEdit(QStringLiteral(".low"), tr("The smallest value a trial may take"));
    m_high = addNumberEdit(QStringLiteral(".high"), tr("The largest value a trial may take"));
    line->addWidget(m_low);
    line->addWidget(new QLabel(tr("to")));
    line->addWidget(m_high);
    if (m_kind == Kind::Integer) {
        const auto value = current.get<std::int64_t>();
        const auto [low, high] = intRange(value);
        m_low->setText(QString::number(fitted(low, value, accepts)));
        m_high->setText(QString::number(fitted(high, value, accepts)));
        m_step = addNumberEdit(QStringLiteral(".step"),
                               tr("Trials take low, low + step, …, high (high - low must be a "
                                  "multiple of it)"));
        m_step->setText(QStringLiteral("1"));
        line->addWidget(new QLabel(tr("step")));
        line->addWidget(m_step);
    } else {
        const double value = current.get<double>();
        const bool log = logScaled(m_key);
        const auto [low, high] = realRange(value, log);
        m_low->setText(formatReal(fitted(low, value, accepts)));
        m_high->setText(formatReal(fitted(high, value, accepts)));
        m_log = new QCheckBox(tr("log"));
        m_log->setObjectName(m_key + ".log");
        m_log->setToolTip(tr("Draw uniformly in log space (both bounds above 0): for values "
                             "that span orders of magnitude"));
        m_log->setChecked(log);
        connect(m_log, &QCheckBox::toggled, this, &SweepKeyRow::edited);
        line->addWidget(m_log);
    }
    line->addStretch(1);
    return editor;
}

QWidget *SweepKeyRow::createValueSet(const ConfigForm::FieldInfo &field,
                                     const nlohmann::json &current)
{
    std::vector<nlohmann::json> values;
    if (field.kind == FormField::Kind::Flag)
        values = {false, true};
    else
        for (const QString &choice : field.choices)
            values.emplace_back(choice.toStdString());
    if (std::find(values.begin(), values.end(), current) == values.end())
        values.push_back(current); // a value the form no longer offers (a plugin's, unloaded)
    auto *editor = new QWidget;
    auto *grid = new QGridLayout(editor);
    grid->setContentsMargins(0, 0, 0, 0);
    for (const auto &value : values) {
        auto *box = new QCheckBox(shown(value));
        box->setObjectName(m_key + ".value." + shown(value));
        box->setChecked(value == current);
        connect(box, &QCheckBox::toggled, this, &SweepKeyRow::edited);
        const int i = int(m_values.size());
        grid->addWidget(box, i / kValueColumns, i % kValueColumns);
        m_values.emplace_back(box, value);
    }
    grid->setColumnStretch(kValueColumns, 1); // the values keep together on the left
    return editor;
}

nlohmann::json SweepKeyRow::number(const QLineEdit *edit) const
{
    const QString text = edit->text().trimmed();
    bool ok = false;
    if (m_kind == Kind::Integer) {
        const qlonglong value = text.toLongLong(&ok);
        if (ok)
            return std::int64_t(value);
    } else {
        const double value = QLocale::c().toDouble(text, &ok);
        if (ok)
            return value;
    }
    return text.toStdString();
}

nlohmann::json SweepKeyRow::dimension(int gridPoints) const
{
    if (m_kind == Kind::Choice) {
        auto values = nlohmann::json::array();
        for (const auto &[box, value] : m_values)
            if (box->isChecked())
                values.push_back(value);
        return {{"type", "choice"}, {"values", values}};
    }
    nlohmann::json dimension{{"low", number(m_low)}, {"high", number(m_high)}};
    if (m_kind == Kind::Integer) {
        dimension["type"] = "int";
        dimension["step"] = number(m_step);
        return dimension;
    }
    dimension["type"] = m_log->isChecked() ? "log_uniform" : "uniform";
    if (gridPoints > 0)
        dimension["grid"] = gridPoints;
    return dimension;
}

void SweepKeyRow::setError(const QString &message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

} // namespace lathe::panels
