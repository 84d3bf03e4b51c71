#include "panels/log/log_panel.h"

#include <spdlog/common.h>

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QVBoxLayout>

namespace lathe::panels {

LogPanel::LogPanel(QWidget *parent)
    : QWidget(parent)
{
    m_level = new QComboBox(this);
    for (int level = spdlog::level::trace; level <= spdlog::level::critical; ++level) {
        const auto name = spdlog::level::to_string_view(spdlog::level::level_enum(level));
        m_level->addItem(QString::fromUtf8(name.data(), qsizetype(name.size())), level);
    }
    m_level->setCurrentIndex(m_level->findData(m_minLevel));
    connect(m_level, &QComboBox::currentIndexChanged, this,
            [this] { setMinimumLevel(m_level->currentData().toInt()); });
    auto *clear = new QPushButton(tr("Clear"), this);
    connect(clear, &QPushButton::clicked, this, [this] {
        m_entries.clear();
        rebuild();
    });

    m_view = new QPlainTextEdit(this);
    m_view->setReadOnly(true);
    m_view->setMaximumBlockCount(int(LogSink::kCapacity));
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setPlaceholderText(tr("Log lines from training, the store and the panels appear here."));

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Minimum level:"), this));
    bar->addWidget(m_level);
    bar->addStretch();
    bar->addWidget(clear);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view);

    m_timer.setInterval(200);
    connect(&m_timer, &QTimer::timeout, this, &LogPanel::poll);
    m_timer.start();
}

void LogPanel::setMinimumLevel(int level)
{
    if (level == m_minLevel)
        return;
    m_minLevel = level;
    m_level->setCurrentIndex(m_level->findData(level));
    rebuild();
}

void LogPanel::poll()
{
    auto fresh = LogSink::instance()->takeNew();
    if (fresh.empty())
        return;
    auto *scroll = m_view->verticalScrollBar();
    const bool atBottom = scroll->value() == scroll->maximum();
    for (auto &entry : fresh) {
        if (entry.level >= m_minLevel)
            m_view->appendPlainText(entry.text);
        m_entries.push_back(std::move(entry));
    }
    while (m_entries.size() > LogSink::kCapacity)
        m_entries.pop_front();
    if (atBottom)
        scroll->setValue(scroll->maximum());
}

void LogPanel::rebuild()
{
    QStringList lines;
    for (const auto &entry : m_entries)
        if (entry.level >= m_minLevel)
            lines << entry.text;
    m_view->setPlainText(lines.join('\n'));
    m_view->verticalScrollBar()->setValue(m_view->verticalScrollBar()->maximum());
}

QString LogPanel::text() const
{
    return m_view->toPlainText();
}

} // namespace lathe::panels
