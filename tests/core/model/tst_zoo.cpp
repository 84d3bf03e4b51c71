#include "core/model/zoo.h"
#include "tests/test_registry.h"

#include <QtTest>
#include <torch/torch.h>

using namespace lathe::model;

class TestZoo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Every architecture the zoo lists builds, runs forward and backward, and taps its stages.
    void everyArchitecture_data()
    {
        QTest::addColumn<QString>("arch");
        for (const auto &name : architectureNames())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void everyArchitecture()
    {
        QFETCH(QString, arch);
        ModelSpec spec;
        spec.arch = arch.toStdString();
        spec.dropout = 0.1;
        torch::manual_seed(0);
        auto net = buildNet(spec, {1, 28, 28}, 10);
        QVERIFY2(net.has_value(), net ? "" : net.error().toString().c_str());
        QCOMPARE(QString::fromStdString((*net)->arch()), arch);
        QVERIFY((*net)->parameterCount() > 1000);

        Taps taps;
        taps.all = true;
        auto x = torch::rand({4, 1, 28, 28});
        auto out = (*net)->forward(x, &taps);
        QCOMPARE(out.sizes().vec(), (std::vector<std::int64_t>{4, 10}));
        QCOMPARE(taps.outputs.size(), (*net)->stageNames().size());
        QVERIFY(torch::equal(taps.outputs.at((*net)->stageNames().back()), out.detach()));

        out.sum().backward();
        for (const auto &p : (*net)->parameters())
            QVERIFY(p.grad().defined());
    }
    // A tapped stage equals running the stages up to it by hand.
    void tapEqualsManualForward()
    {
        torch::manual_seed(1);
        auto net = buildNet(ModelSpec{"cnn", {8, 16}, 0.0}, {1, 28, 28}, 10);
        QVERIFY(net.has_value());
        (*net)->eval();
        Taps taps;
        taps.wanted = {"pool1"};
        auto x = torch::rand({2, 1, 28, 28});
        (*net)->forward(x, &taps);
        QCOMPARE(taps.outputs.size(), size_t(1));
        auto modules = (*net)->named_children();
        auto y = modules["conv1"]->as<torch::nn::Conv2d>()->forward(x);
        y = modules["bn1"]->as<torch::nn::BatchNorm2d>()->forward(y);
        y = torch::max_pool2d(torch::relu(y), 2);
        QVERIFY(torch::allclose(taps.outputs.at("pool1"), y, 1e-6, 1e-6));
    }
    void defaultCnnIsSmall()
    {
        auto net = buildNet(ModelSpec{}, {1, 28, 28}, 10);
        QVERIFY(net.has_value());
        QVERIFY((*net)->parameterCount() < 200000);
    }
    void badSpecs_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QList<qint64>>("widths");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("cnn too deep") << "cnn" << QList<qint64>{8, 8, 8, 8, 8} << "at most 4";
        QTest::newRow("resnet widths") << "resnet-mini" << QList<qint64>{8, 8} << "3 widths";
    }
    void badSpecs()
    {
        QFETCH(QString, arch);
        QFETCH(QList<qint64>, widths);
        QFETCH(QString, phrase);
        ModelSpec spec{arch.toStdString(), {widths.begin(), widths.end()}, 0.0};
        auto net = buildNet(spec, {1, 28, 28}, 10);
        QVERIFY(!net.has_value());
        QCOMPARE(net.error().context, std::string("model.widths"));
        QVERIFY2(QString::fromStdString(net.error().message).contains(phrase),
                 net.error().message.c_str());
    }
    void specRejectsUnknownKey()
    {
        auto spec = ModelSpec::fromJson({{"arch", "cnn"}, {"depth", 3}});
        QVERIFY(!spec.has_value());
        QCOMPARE(spec.error().context, std::string("model.depth"));
        QVERIFY(spec.error().message.find("arch, widths, dropout") != std::string::npos);
        auto bad = ModelSpec::fromJson({{"arch", "transformer"}});
        QVERIFY(!bad.has_value());
        QVERIFY(bad.error().message.find("mlp, cnn, cnn-gn, cnn-tanh, cnn-gn-tanh, resnet-mini")
                != std::string::npos);
    }
    void specRoundTrips()
    {
        ModelSpec spec{"resnet-mini", {8, 16, 32}, 0.25};
        auto back = ModelSpec::fromJson(spec.toJson());
        QVERIFY(back.has_value());
        QVERIFY(*back == spec);
    }
};

LATHE_TEST_GUILESS_MAIN(TestZoo)
#include "tst_zoo.moc"
