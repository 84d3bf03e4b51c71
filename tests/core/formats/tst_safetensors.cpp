#include "core/formats/safetensors.h"
#include "core/model/zoo.h"

#include "tests/qverify_ok.h"
#include "tests/test_registry.h"

#include <QProcess>
#include <QtTest>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sys/resource.h>

using namespace lathe;
using namespace lathe::formats;

namespace {

// An independent reader, per the published format, using only json, struct and numpy.
constexpr const char *kPythonReader = R"PY(
import json, struct, sys
import numpy as np
data = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
assert (8 + n) % 8 == 0, 'data not 8-byte aligned'
header = json.loads(data[8:8 + n].decode('utf-8'))
body = data[8 + n:]
types = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2', 'I8': 'i1', 'U8': 'u1', 'I16': '<i2',
         'I32': '<i4', 'I64': '<i8', 'BOOL': '?'}
meta = header.pop('__metadata__', {})
covered = 0
for name, e in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
    b, end = e['data_offsets']
    assert b == covered, 'gap or overlap at ' + name
    covered = end
    raw = body[b:end]
    if e['dtype'] == 'BF16':
        a = (np.frombuffer(raw, '<u2').astype('<u4') << 16).view('<f4')
    else:
        a = np.frombuffer(raw, types[e['dtype']])
    count = int(np.prod(e['shape'])) if e['shape'] else 1
    assert a.size == count, name
    print(json.dumps({'name': name, 'dtype': e['dtype'], 'shape': e['shape'],
                      'sum': float(a.astype('f8').sum())}))
assert covered == len(body), 'unused bytes at the end'
print(json.dumps({'metadata': meta}))
)PY";

NamedTensors mixedTensors()
{
    torch::manual_seed(7);
    return {
        {"weight.f32", torch::randn({2, 3})},
        {"half", torch::randn({5}).to(torch::kHalf)},
        {"brain", torch::randn({3, 2}).to(torch::kBFloat16)},
        {"int8", torch::randint(-128, 127, {7}, torch::kChar)},
        {"long",
         torch::tensor(std::vector<std::int64_t>{1, -2, 3, std::int64_t(1) << 40}).view({2, 2})},
        {"bytes", torch::randint(0, 255, {3}, torch::kByte)},
        {"flags", torch::tensor({true, false, true})},
        {"double", torch::randn({2, 1, 2}, torch::kDouble)},
        {"int32", torch::tensor({-5, 6, 7}, torch::kInt)},
        {"short", torch::tensor({-300, 300}, torch::kShort)},
        {"scalar", torch::tensor(2.5f)},
        {"empty", torch::zeros({0, 3})},
        {"strided", torch::arange(12, torch::kFloat).view({3, 4}).t()},
    };
}

QByteArray readAll(const std::filesystem::path &path)
{
    QFile file(QString::fromStdString(path.string()));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

// A file as the format lays it out: the length field, the header, the data.
QByteArray fileOf(const QByteArray &header, const QByteArray &data = {})
{
    QByteArray bytes(8, '\0');
    const auto n = static_cast<std::uint64_t>(header.size());
    for (int i = 0; i < 8; ++i)
        bytes[i] = char((n >> (8 * i)) & 0xff);
    return bytes + header + data;
}

QByteArray lengthOnly(std::uint64_t n, int padding)
{
    QByteArray bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[i] = char((n >> (8 * i)) & 0xff);
    return bytes + QByteArray(padding, '{');
}

model::Net zooNet(int seed)
{
    torch::manual_seed(seed);
    model::ModelSpec spec;
    spec.arch = "cnn";
    spec.widths = {8, 16};
    auto net = model::buildNet(spec, {1, 28, 28}, 10);
    if (!net)
        qFatal("%s", net.error().toString().c_str());
    // A few training-mode passes give BatchNorm running statistics that are not the defaults.
    torch::NoGradGuard noGrad;
    for (int i = 0; i < 3; ++i)
        (*net)->forward(torch::randn({4, 1, 28, 28}) * (1 + seed % 3));
    (*net)->eval();
    return *net;
}

bool sameState(const NamedTensors &a, const NamedTensors &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].first != b[i].first || !torch::equal(a[i].second, b[i].second))
            return false;
    return true;
}

void verifyFails(const Result<void> &r, const std::string &file, const std::string &what)
{
    QVERIFY(!r);
    const std::string text = r.error().toString();
    QVERIFY2(text.find(file) != std::string::npos, text.c_str());
    QVERIFY2(text.find(what) != std::string::npos, text.c_str());
}

} // namespace

class TestSafetensors : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTripMixedDtypes()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "m.safetensors";
        const auto tensors = mixedTensors();
        const std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "größe ✓"}};
        QVERIFY_OK(writeSafetensors(tensors, meta, path));
        QVERIFY(!std::filesystem::exists(path.string() + ".tmp"));
        auto read = readSafetensorsFile(path);
        QVERIFY_OK(read);
        QCOMPARE(read->metadata, meta);
        QCOMPARE(read->tensors.size(), tensors.size());
        for (std::size_t i = 0; i < tensors.size(); ++i) {
            const auto &[name, original] = tensors[i];
            QCOMPARE(read->tensors[i].first, name);
            QCOMPARE(read->tensors[i].second.scalar_type(), original.scalar_type());
            QCOMPARE(read->tensors[i].second.sizes().vec(), original.sizes().vec());
            QVERIFY2(torch::equal(read->tensors[i].second, original), name.c_str());
        }
        QCOMPARE(read->tensors[10].second.dim(), std::int64_t(0));
        QCOMPARE(read->tensors[11].second.numel(), std::int64_t(0));
    }

    // The bytes themselves: length field, JSON header, space padding, 8-byte alignment, data.
    void byteLayout()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "b.safetensors";
        const auto a = torch::tensor({1.5f, -2.0f});
        const auto b = torch::tensor({7}, torch::kShort);
        QVERIFY_OK(writeSafetensors({{"a", a}, {"b", b}}, {{"k", "v"}}, path));
        const QByteArray bytes = readAll(path);
        std::uint64_t n = 0;
        for (int i = 0; i < 8; ++i)
            n |= std::uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
        QCOMPARE((8 + n) % 8, std::uint64_t(0));
        QCOMPARE(std::uint64_t(bytes.size()), 8 + n + 8 + 2);
        const QByteArray header = bytes.mid(8, qsizetype(n));
        const std::string expected = R"({"__metadata__":{"k":"v"},)"
                                     R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                     R"("b":{"dtype":"I16","shape":[1],"data_offsets":[8,10]}})";
        QCOMPARE(header.trimmed().toStdString(), expected);
        QVERIFY(header.startsWith('{'));
        for (auto i = qsizetype(expected.size()); i < header.size(); ++i)
            QCOMPARE(header[i], ' ');
        float floats[2];
        std::memcpy(floats, bytes.constData() + 8 + n, 8);
        QCOMPARE(floats[0], 1.5f);
        QCOMPARE(floats[1], -2.0f);
        QCOMPARE(static_cast<unsigned char>(bytes[qsizetype(8 + n + 8)]), 7); // little endian
        QCOMPARE(static_cast<unsigned char>(bytes[qsizetype(8 + n + 9)]), 0);
    }

    void independentPythonReader()
    {
        if (!QFileInfo::exists("/usr/bin/python3"))
            QSKIP("/usr/bin/python3 is not installed");
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "p.safetensors";
        const auto tensors = mixedTensors();
        QVERIFY_OK(writeSafetensors(tensors, {{"origin", "lathe"}}, path));
        QFile script(dir.path() + "/read.py");
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write(kPythonReader);
        script.close();
        QProcess python;
        python.start("/usr/bin/python3",
                     {script.fileName(), QString::fromStdString(path.string())});
        QVERIFY(python.waitForFinished(60000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        std::map<std::string, nlohmann::json> seen;
        nlohmann::json metadata;
        for (const auto &line : python.readAllStandardOutput().split('\n')) {
            if (line.isEmpty())
                continue;
            auto json = nlohmann::json::parse(line.toStdString());
            if (json.contains("metadata"))
                metadata = json["metadata"];
            else
                seen[json["name"].get<std::string>()] = json;
        }
        QCOMPARE(metadata["origin"].get<std::string>(), std::string("lathe"));
        QCOMPARE(seen.size(), tensors.size());
        for (const auto &[name, tensor] : tensors) {
            const auto &py = seen.at(name);
            QCOMPARE(py["shape"].get<std::vector<std::int64_t>>(), tensor.sizes().vec());
            const double sum = tensor.to(torch::kDouble).sum().item<double>();
            QVERIFY2(std::abs(py["sum"].get<double>() - sum) <= 1e-9 * (1 + std::abs(sum)),
                     (name + ": " + py.dump()).c_str());
        }
        QCOMPARE(seen.at("half")["dtype"].get<std::string>(), std::string("F16"));
        QCOMPARE(seen.at("brain")["dtype"].get<std::string>(), std::string("BF16"));
    }

    void badInput_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("problem");
        const QByteArray f32 = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
        const QByteArray four(4, '\1');
        auto entry = [](const char *body) { return QByteArray("{\"a\":") + body + "}"; };
        QTest::newRow("shorter than 8 bytes") << QByteArray("abc") << "shorter than the 8-byte";
        QTest::newRow("header length 0") << fileOf("", four) << "header length is 0";
        QTest::newRow("header over 100 MB")
            << lengthOnly(100'000'001, 16) << "header of 100000001 bytes is over the 100 MB limit";
        QTest::newRow("header past the end") << lengthOnly(1000, 20) << "runs past the end";
        QTest::newRow("not JSON") << fileOf("{\"a\": nope}", four) << "not valid JSON";
        QTest::newRow("not UTF-8") << fileOf("{\"\xff\":{}}") << "not valid JSON";
        QTest::newRow("not an object") << fileOf("[1, 2]") << "not a JSON object";
        QTest::newRow("entry not an object") << fileOf(entry("3"), four) << "not an object";
        QTest::newRow("no dtype") << fileOf(entry(R"({"shape":[1],"data_offsets":[0,4]})"), four)
                                  << "no \"dtype\"";
        QTest::newRow("no shape") << fileOf(entry(R"({"dtype":"F32","data_offsets":[0,4]})"), four)
                                  << "no \"shape\"";
        QTest::newRow("no data_offsets")
            << fileOf(entry(R"({"dtype":"F32","shape":[1]})"), four) << "no \"data_offsets\"";
        QTest::newRow("unknown dtype")
            << fileOf(entry(R"({"dtype":"Q4","shape":[1],"data_offsets":[0,4]})"), four)
            << "unknown dtype \"Q4\"";
        QTest::newRow("dtype LibTorch lacks")
            << fileOf(entry(R"({"dtype":"U16","shape":[2],"data_offsets":[0,4]})"), four)
            << "dtype \"U16\"";
        QTest::newRow("negative dim")
            << fileOf(entry(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), four)
            << "negative dimension";
        QTest::newRow("one offset")
            << fileOf(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[4]})"), four)
            << "data_offsets must be 2 ascending integers";
        QTest::newRow("descending offsets")
            << fileOf(entry(R"({"dtype":"F32","shape":[0],"data_offsets":[4,0]})"), four)
            << "data_offsets must be 2 ascending integers";
        QTest::newRow("float offsets")
            << fileOf(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0.0,4]})"), four)
            << "data_offsets must be 2 ascending integers";
        QTest::newRow("size not dtype x shape")
            << fileOf(entry(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), four)
            << "8 bytes, but data_offsets [0, 4] span 4";
        QTest::newRow("truncated data")
            << fileOf(entry(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), four)
            << "truncated";
        QTest::newRow("overlap") << fileOf(R"({"a":)" + f32
                                               + R"(,"b":{"dtype":"I16","shape":[2],)"
                                                 R"("data_offsets":[2,6]}})",
                                           QByteArray(6, '\1'))
                                 << "overlap";
        QTest::newRow("gap") << fileOf(R"({"a":)" + f32
                                           + R"(,"b":{"dtype":"I8","shape":[2],)"
                                             R"("data_offsets":[6,8]}})",
                                       QByteArray(8, '\1'))
                             << "bytes 4 to 6 of the data belong to no tensor";
        QTest::newRow("unused tail") << fileOf(entry(f32), QByteArray(8, '\1'))
                                     << "the last 4 bytes of the data belong to no tensor";
        QTest::newRow("duplicate name")
            << fileOf(R"({"a":)" + f32 + R"(,"a":)" + f32 + "}", four) << "\"a\" twice";
        QTest::newRow("metadata not strings")
            << fileOf(R"({"__metadata__":{"k":1},"a":)" + f32 + "}", four)
            << "map strings to strings";
    }
    void badInput()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/bad.safetensors").toStdString();
        std::ofstream(path, std::ios::binary).write(bytes.constData(), bytes.size());
        auto read = readSafetensorsFile(path);
        QVERIFY(!read);
        QCOMPARE(read.error().code, ErrorCode::BadInput);
        verifyFails(std::unexpected(read.error()), path, problem.toStdString());
    }

    void missingOrUnreadableFile()
    {
        QTemporaryDir dir;
        const std::string missing = (dir.path() + "/none.safetensors").toStdString();
        auto read = readSafetensors(missing);
        QVERIFY(!read);
        QCOMPARE(read.error().code, ErrorCode::NotFound);
        verifyFails(std::unexpected(read.error()), missing, "does not exist");
        read = readSafetensors(dir.path().toStdString()); // a folder is not readable as a file
        QVERIFY(!read);
        QCOMPARE(read.error().code, ErrorCode::Io);
        verifyFails(std::unexpected(read.error()), dir.path().toStdString(), "not a regular file");
    }

    void refusesUnwritableInput()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "x.safetensors";
        verifyFails(writeSafetensors({{"a", torch::ones(1)}, {"a", torch::ones(1)}}, {}, path),
                    path.string(), "given twice");
        verifyFails(writeSafetensors({{"c", torch::ones(2, torch::kComplexFloat)}}, {}, path),
                    path.string(), "cannot store");
        QVERIFY(!std::filesystem::exists(path));
    }

    // A write that fails half way (here: the file size limit, as a full disk would) leaves
    // neither the file nor its temporary, and an older file at the path stays intact.
    void failedWriteLeavesNoFile()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "big.safetensors";
        const auto kept = std::filesystem::path(dir.path().toStdString()) / "kept.safetensors";
        QVERIFY_OK(writeSafetensors({{"old", torch::ones(3)}}, {}, kept));
        const QByteArray before = readAll(kept);
        rlimit saved{};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &saved), 0);
        rlimit small = saved;
        small.rlim_cur = 64 * 1024;
        auto *previous = std::signal(SIGXFSZ, SIG_IGN);
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &small), 0);
        const NamedTensors big{{"big", torch::ones({1 << 20})}};
        auto fresh = writeSafetensors(big, {}, path);
        auto over = writeSafetensors(big, {}, kept);
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, previous);
        verifyFails(fresh, path.string(), "cannot write");
        verifyFails(over, kept.string(), "nothing was written");
        QVERIFY(!std::filesystem::exists(path));
        QVERIFY(!std::filesystem::exists(path.string() + ".tmp"));
        QVERIFY(!std::filesystem::exists(kept.string() + ".tmp"));
        QCOMPARE(readAll(kept), before);
    }

    void loadIntoZooNet()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "cnn.safetensors";
        auto source = zooNet(1);
        QVERIFY_OK(writeSafetensors(stateDict(source), {{"arch", "cnn"}}, path));
        auto target = zooNet(2);
        const auto x = torch::randn({5, 1, 28, 28});
        torch::NoGradGuard noGrad;
        QVERIFY(!torch::equal(source->forward(x), target->forward(x)));
        QVERIFY_OK(loadSafetensorsInto(target, path));
        QVERIFY(torch::equal(source->forward(x), target->forward(x)));
        QVERIFY(sameState(stateDict(source), stateDict(target)));
    }

    void unknownNamesRefused()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "extra.safetensors";
        auto tensors = stateDict(zooNet(1));
        tensors.emplace_back("ghost.weight", torch::ones({2, 2}));
        tensors.emplace_back("phantom.bias", torch::ones({2}));
        QVERIFY_OK(writeSafetensors(tensors, {}, path));
        auto net = zooNet(2);
        const auto before = cloneTensors(stateDict(net));
        const auto loaded = loadSafetensorsInto(net, path);
        verifyFails(loaded, path.string(), "match no layer");
        verifyFails(loaded, path.string(), "\"ghost.weight\", \"phantom.bias\"");
        QVERIFY(sameState(before, cloneTensors(stateDict(net))));
    }

    void shapeMismatchRefused()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "shape.safetensors";
        auto tensors = stateDict(zooNet(1)); // every value differs from the target's
        for (auto &[name, tensor] : tensors)
            if (name == "head.weight")
                tensor = torch::zeros({10, 99});
        QVERIFY_OK(writeSafetensors(tensors, {}, path));
        auto net = zooNet(2);
        const auto before = cloneTensors(stateDict(net));
        const auto loaded = loadSafetensorsInto(net, path);
        verifyFails(loaded, path.string(), "\"head.weight\" has shape [10, 99]");
        verifyFails(loaded, path.string(), "[10, 784]");
        QVERIFY(sameState(before, cloneTensors(stateDict(net))));
    }

    void missingNamesRefusedUnlessAllowed()
    {
        QTemporaryDir dir;
        const auto path = std::filesystem::path(dir.path().toStdString()) / "part.safetensors";
        auto tensors = stateDict(zooNet(1));
        std::erase_if(tensors, [](const auto &t) { return t.first.starts_with("head."); });
        QVERIFY_OK(writeSafetensors(tensors, {}, path));
        auto net = zooNet(2);
        const auto head = net->named_parameters()["head.weight"].clone();
        verifyFails(loadSafetensorsInto(net, path), path.string(), "missing");
        SafetensorsLoadOptions partial;
        partial.allowMissing = true;
        QVERIFY_OK(loadSafetensorsInto(net, path, partial));
        QVERIFY(torch::equal(net->named_parameters()["head.weight"], head));
        QVERIFY(torch::equal(net->named_parameters()["conv1.weight"], tensors.front().second));
    }
};

LATHE_TEST_GUILESS_MAIN(TestSafetensors)
#include "tst_safetensors.moc"
