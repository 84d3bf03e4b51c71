#include "panels/window/about_dialog.h"

#include "core/train/run_environment.h"
#include "core/util/build_info.h"
#include "core/util/environment.h"

#include <QCoreApplication>
#include <QMessageBox>

namespace lathe::panels {

QString aboutText(const std::filesystem::path &db)
{
    const auto tr = [](const char *text) {
        return QCoreApplication::translate("lathe::panels::MainWindow", text);
    };
    QString text = tr("<b>Lathe</b> %1 — a workbench for training neural networks on one "
                      "machine.<br>Experiment store: %2<br><br>What every run records of where "
                      "it runs:<table cellspacing='0' cellpadding='1'>")
                       .arg(QString::fromStdString(util::latheVersionString()).toHtmlEscaped(),
                            QString::fromStdString(db.string()).toHtmlEscaped());
    for (const auto &[label, value] : util::environmentLines(train::collectEnvironment()))
        text += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>")
                    .arg(QString::fromStdString(label).toHtmlEscaped(),
                         QString::fromStdString(value).toHtmlEscaped());
    return text + QStringLiteral("</table>");
}

void showAbout(QWidget *parent, const std::filesystem::path &db)
{
    QMessageBox::about(parent,
                       QCoreApplication::translate("lathe::panels::MainWindow", "About Lathe"),
                       aboutText(db));
}

} // namespace lathe::panels
