#include "panels/runs/run_environment_view.h"

#include "core/train/run_environment.h"
#include "core/util/environment.h"
#include "panels/bridge/store_client.h"

#include <QLabel>
#include <QScrollArea>
#include <QTextDocument>
#include <QVBoxLayout>

namespace lathe::panels {

namespace {

struct Recorded
{
    quint64 generation = 0;
    std::vector<util::RunEnvironment> attempts;
};

QString html(const std::string &text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString environmentHtml(const std::vector<util::RunEnvironment> &attempts)
{
    if (attempts.empty())
        return RunEnvironmentView::tr("Not recorded: the run is older than Lathe's environment "
                                      "records.");
    const auto &latest = attempts.back();
    QString out = QStringLiteral("<table cellspacing='0' cellpadding='1'>");
    for (const auto &[label, value] : util::environmentLines(latest))
        out += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>")
                   .arg(html(label), html(value));
    out += QStringLiteral("</table>");
    for (std::size_t i = 0; i + 1 < attempts.size(); ++i) {
        const auto differences = util::environmentDifferences(attempts[i], latest);
        if (differences.empty())
            continue;
        out += QStringLiteral("<p>")
               + RunEnvironmentView::tr("Attempt %1 of %2 ran elsewhere (%3):")
                     .arg(i + 1)
                     .arg(attempts.size())
                     .arg(html(util::differenceSummary(differences)));
        for (const auto &d : differences)
            out += QStringLiteral("<br>&nbsp;&nbsp;%1: %2").arg(html(d.aspect), html(d.a));
        out += QStringLiteral("</p>");
    }
    return out;
}

} // namespace

RunEnvironmentView::RunEnvironmentView(StoreClient &store, QWidget *parent)
    : QWidget(parent)
    , m_store(store)
    , m_label(new QLabel(this))
{
    setObjectName(QStringLiteral("runEnvironmentView"));
    m_label->setObjectName(QStringLiteral("runEnvironment"));
    m_label->setTextFormat(Qt::RichText);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_label->setWordWrap(true);
    m_label->setContentsMargins(4, 2, 4, 2);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_label);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
    showRun(0);
}

void RunEnvironmentView::showRun(qint64 runId)
{
    m_runId = runId;
    const quint64 generation = ++m_generation;
    if (runId == 0) {
        m_label->setText(tr("Select a run to see where it ran."));
        return;
    }
    m_store.query(
        this,
        [runId, generation](track::RunStore &store) -> Result<Recorded> {
            auto attempts = train::storedEnvironments(store, runId);
            if (!attempts)
                return std::unexpected(attempts.error());
            return Recorded{generation, std::move(*attempts)};
        },
        [this, generation](Result<Recorded> recorded) {
            if (generation != m_generation)
                return;
            m_label->setText(recorded ? environmentHtml(recorded->attempts)
                                      : tr("Cannot read the run's environment: %1")
                                            .arg(html(recorded.error().message)));
            Q_EMIT shown();
        });
}

QString RunEnvironmentView::text() const
{
    QTextDocument document;
    document.setHtml(m_label->text());
    return document.toPlainText();
}

} // namespace lathe::panels
