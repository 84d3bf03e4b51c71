#include "kernels/device/device_query.h"
#include "tests/test_registry.h"

#include <QtTest>

using lathe::kernels::queryDevices;

class TestDeviceQuery : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // Without a GPU (as on the build machines) the query must say why, not crash.
    void reportsDevicesOrAReason()
    {
        const auto report = queryDevices();
        if (report.devices.empty()) {
            QVERIFY(!report.problem.empty());
            QSKIP(qPrintable("no GPU: " + QString::fromStdString(report.problem)));
        }
        QVERIFY(report.builtWithCuda);
        for (const auto &device : report.devices) {
            QVERIFY(!device.name.empty());
            QVERIFY(device.computeMajor >= 3);
            QVERIFY(device.totalMemoryBytes > 0);
        }
    }
};

LATHE_TEST_GUILESS_MAIN(TestDeviceQuery)
#include "tst_device_query.moc"
