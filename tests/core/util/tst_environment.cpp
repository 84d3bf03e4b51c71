#include "core/util/build_info.h"
#include "core/util/environment.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace lathe::util;

namespace {

std::string fileText(const char *path)
{
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The value of the first "KEY<spaces>: VALUE" line of `text`, read independently of the parser.
QString firstValue(const std::string &text, const QString &key)
{
    for (const auto &line : QString::fromStdString(text).split(QLatin1Char('\n'))) {
        const auto colon = line.indexOf(QLatin1Char(':'));
        if (colon > 0 && line.left(colon).trimmed() == key)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

RunEnvironment sample()
{
    RunEnvironment env;
    env.latheVersion = "0.1.0";
    env.latheCommit = "0123456789ab";
    env.torchVersion = "1.13.1";
    env.torchBuild = {{"oneDNN", "2.6.3"}, {"CPU capability", "AVX2"}};
    env.cpu = {"AMD EPYC 9454 48-Core Processor", 2, {"avx2", "avx512f", "avx512_bf16"}};
    env.threads = 2;
    env.os = "Debian GNU/Linux 12 (bookworm)";
    env.kernel = "6.1.0-18-amd64 x86_64";
    env.host = "box";
    env.dataFiles = {{"/data/train.gz", 26421856, std::string(64, 'a'), 1}};
    return env;
}

} // namespace

class TestEnvironment : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The real /proc/cpuinfo: the parser finds what a plain reading of the file finds.
    void realCpuInfo()
    {
        const std::string text = fileText("/proc/cpuinfo");
        QVERIFY(!text.empty());
        const CpuInfo cpu = readCpuInfo();
        QCOMPARE(QString::fromStdString(cpu.model), firstValue(text, "model name"));
        QCOMPARE(cpu.logicalCores, int(QString::fromStdString(text).count(QRegularExpression(
                                       QStringLiteral("(^|\\n)processor\\s*:")))));
        QVERIFY(cpu.logicalCores >= 1);
        const QStringList flags = firstValue(text, "flags").split(QLatin1Char(' '));
        for (const auto &extension : cpu.vectorExtensions)
            QVERIFY2(flags.contains(QString::fromStdString(extension)), extension.c_str());
        for (const char *expected : {"avx2", "avx512f", "avx512_bf16", "fma"})
            QCOMPARE(std::ranges::count(cpu.vectorExtensions, std::string(expected)),
                     flags.count(QLatin1String(expected)) > 0 ? 1 : 0);
        QVERIFY(std::ranges::find(cpu.vectorExtensions, "pae") == cpu.vectorExtensions.end());
    }
    void armCpuInfo()
    {
        const auto cpu = parseCpuInfo("processor\t: 0\nFeatures\t: fp asimd evtstrm sve sve2 "
                                      "i8mm bf16\nCPU part\t: 0xd40\n\nprocessor\t: 1\n");
        QCOMPARE(cpu.logicalCores, 2);
        QCOMPARE(cpu.model, std::string("0xd40"));
        QCOMPARE(cpu.vectorExtensions,
                 (std::vector<std::string>{"asimd", "sve", "sve2", "i8mm", "bf16"}));
    }
    void machine()
    {
        const auto env = machineEnvironment();
        QCOMPARE(env.latheVersion, latheVersion());
        QVERIFY(!env.latheVersion.empty());
        QVERIFY(!env.host.empty());
        QVERIFY(!env.kernel.empty());
        // This machine's os-release, read plainly.
        QString expected;
        for (const auto &line : QString::fromStdString(fileText("/etc/os-release")).split('\n'))
            if (line.startsWith("PRETTY_NAME="))
                expected = line.mid(12).remove(QLatin1Char('"'));
        QCOMPARE(QString::fromStdString(env.os), expected);
        QVERIFY(!env.os.empty());
    }
    void jsonRoundTrip()
    {
        const auto env = sample();
        auto back = RunEnvironment::fromJson(nlohmann::json::parse(env.toJson().dump()));
        QVERIFY(back.has_value());
        QVERIFY(*back == env);
        QVERIFY(!RunEnvironment::fromJson(nlohmann::json::array()).has_value());
        // A partial object (an older or newer Lathe's) reads, missing parts empty.
        auto partial = RunEnvironment::fromJson({{"host", "h"}, {"future", 1}});
        QVERIFY(partial.has_value());
        QCOMPARE(partial->host, std::string("h"));
        QVERIFY(partial->cpu.model.empty());
    }
    void differences()
    {
        const auto a = sample();
        auto b = a;
        QVERIFY(environmentDifferences(a, b).empty());
        QCOMPARE(differenceSummary(environmentDifferences(a, b)), std::string());
        b.cpu.model = "Intel(R) Xeon(R) Platinum 8480+";
        b.host = "other";
        const auto d = environmentDifferences(a, b);
        QCOMPARE(d.size(), std::size_t(2));
        QCOMPARE(d[0].aspect, std::string("CPU"));
        QCOMPARE(d[0].b, b.cpu.model);
        QCOMPARE(differenceSummary(d), std::string("different CPU, host"));
        // What one side does not know is not a difference.
        b = a;
        b.os.clear();
        QVERIFY(environmentDifferences(a, b).empty());
        b.dataFiles[0].sha256 = std::string(64, 'b');
        QCOMPARE(differenceSummary(environmentDifferences(a, b)), std::string("different data"));
    }
    void lines()
    {
        const auto lines = environmentLines(sample());
        QCOMPARE(lines.front().first, std::string("Lathe"));
        QCOMPARE(lines.front().second, std::string("0.1.0 (git 0123456789ab)"));
        const auto find = [&](const std::string &label) {
            for (const auto &[l, v] : lines)
                if (l == label)
                    return v;
            return std::string();
        };
        QCOMPARE(find("LibTorch"), std::string("1.13.1 (oneDNN 2.6.3, CPU capability AVX2)"));
        QCOMPARE(find("CPU"), std::string("AMD EPYC 9454 48-Core Processor, 2 logical cores"));
        QCOMPARE(find("GPU"), std::string("none"));
        QVERIFY(find("data").find("sha256 aaaa") != std::string::npos);
    }
};

LATHE_TEST_GUILESS_MAIN(TestEnvironment)
#include "tst_environment.moc"
