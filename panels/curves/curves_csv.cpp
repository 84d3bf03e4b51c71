#include "panels/curves/curves_csv.h"

#include <QSaveFile>

#include <cstdio>

namespace lathe::panels {

namespace {

QByteArray csvField(const QString &text)
{
    QByteArray bytes = text.toUtf8();
    if (!bytes.contains(',') && !bytes.contains('"') && !bytes.contains('\n'))
        return bytes;
    bytes.replace("\"", "\"\"");
    return '"' + bytes + '"';
}

// %.17g keeps every bit of a double, so the CSV holds the exact stored values.
void appendNumber(QByteArray &line, double value)
{
    char buffer[32];
    const int n = std::snprintf(buffer, sizeof buffer, "%.17g", value);
    line.append(buffer, n);
}

} // namespace

Result<std::size_t> writeCurvesCsv(const QString &path,
                                   const std::vector<CurveSet::Snapshot> &series)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(ErrorCode::Io, "cannot write the file: " + file.errorString().toStdString(),
                    path.toStdString());
    file.write("run,run_name,key,step,epoch,wall_time,value\n");
    std::size_t rows = 0;
    QByteArray line;
    for (const auto &s : series) {
        const QByteArray prefix = QByteArray::number(qint64(s.runId)) + ',' + csvField(s.runName)
                                  + ',' + csvField(QString::fromStdString(s.key)) + ',';
        const CurveSamples &samples = *s.samples;
        for (std::size_t i = 0; i < samples.size(); ++i) {
            line = prefix;
            line += QByteArray::number(qint64(samples.step[i])) + ',';
            appendNumber(line, samples.epoch[i]);
            line += ',';
            appendNumber(line, samples.wallTime[i]);
            line += ',';
            appendNumber(line, samples.value[i]);
            line += '\n';
            file.write(line);
        }
        rows += samples.size();
    }
    if (!file.commit())
        return fail(ErrorCode::Io, "cannot write the file: " + file.errorString().toStdString(),
                    path.toStdString());
    return rows;
}

} // namespace lathe::panels
