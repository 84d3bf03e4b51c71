#include "core/data/dataset.h"
#include "tests/test_registry.h"

#include <torch/torch.h>

#include <QtTest>

using lathe::ErrorCode;
using lathe::data::TensorDataset;

Q_DECLARE_METATYPE(torch::Tensor)

class TestDataset : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void gathersAndScales()
    {
        const torch::Tensor images = torch::arange(4 * 2 * 3 * 3).remainder(256).to(torch::kByte);
        auto dataset = TensorDataset::create(images.view({4, 2, 3, 3}),
                                             torch::tensor({0, 1, 2, 1}, torch::kInt),
                                             {"a", "b", "c"}, "four samples");
        QVERIFY(dataset.has_value());
        QCOMPARE((*dataset)->size(), std::int64_t(4));
        QCOMPARE((*dataset)->sampleShape(), (std::vector<std::int64_t>{2, 3, 3}));
        QCOMPARE((*dataset)->labels().scalar_type(), torch::kLong);
        QCOMPARE((*dataset)->description(), std::string("four samples"));
        const torch::Tensor x = (*dataset)->images(torch::tensor({3, 0}, torch::kLong));
        QCOMPARE(x.scalar_type(), torch::kFloat);
        QCOMPARE(x.sizes().vec(), (std::vector<std::int64_t>{2, 2, 3, 3}));
        QVERIFY(x[0].equal(images.view({4, 2, 3, 3})[3].to(torch::kFloat) / 255.0f));
        QVERIFY(x[1].equal(images.view({4, 2, 3, 3})[0].to(torch::kFloat) / 255.0f));
    }

    void floatImagesPassThrough()
    {
        const torch::Tensor images = torch::rand({5, 1, 2, 2});
        auto dataset = TensorDataset::create(images, torch::zeros({5}, torch::kLong), {"only"});
        QVERIFY(dataset.has_value());
        QVERIFY((*dataset)->images(torch::arange(5)).equal(images));
    }

    void badTensorsAreRefused_data()
    {
        QTest::addColumn<torch::Tensor>("images");
        QTest::addColumn<torch::Tensor>("labels");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("phrase");
        const int invalid = int(ErrorCode::InvalidArgument);
        QTest::newRow("3-D images") << torch::zeros({4, 3, 3}, torch::kByte)
                                    << torch::zeros({4}, torch::kLong) << invalid << "4-D";
        QTest::newRow("int32 images")
            << torch::zeros({4, 1, 3, 3}, torch::kInt) << torch::zeros({4}, torch::kLong) << invalid
            << "uint8 or float32";
        QTest::newRow("count mismatch")
            << torch::zeros({4, 1, 3, 3}, torch::kByte) << torch::zeros({3}, torch::kLong)
            << invalid << "1-D tensor of 4";
        QTest::newRow("float labels") << torch::zeros({4, 1, 3, 3}, torch::kByte)
                                      << torch::zeros({4}, torch::kFloat) << invalid << "integers";
        QTest::newRow("label out of range")
            << torch::zeros({4, 1, 3, 3}, torch::kByte) << torch::tensor({0, 1, 2, 1}, torch::kLong)
            << int(ErrorCode::BadInput) << "label 2 at index 2 is out of range: expected 0..1";
        QTest::newRow("negative label")
            << torch::zeros({2, 1, 3, 3}, torch::kByte) << torch::tensor({0, -1}, torch::kLong)
            << int(ErrorCode::BadInput) << "label -1 at index 1";
    }
    void badTensorsAreRefused()
    {
        QFETCH(torch::Tensor, images);
        QFETCH(torch::Tensor, labels);
        QFETCH(int, code);
        QFETCH(QString, phrase);
        auto dataset = TensorDataset::create(images, labels, {"a", "b"});
        QVERIFY(!dataset.has_value());
        QCOMPARE(int(dataset.error().code), code);
        QVERIFY2(dataset.error().message.find(phrase.toStdString()) != std::string::npos,
                 dataset.error().message.c_str());
    }
};

LATHE_TEST_GUILESS_MAIN(TestDataset)
#include "tst_dataset.moc"
