// Times as people read them: ISO 8601 in local time with the UTC offset, for the model card and
// anything else that shows when something happened.
#include "core/util/clock.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <cstdlib>
#include <ctime>

using namespace lathe;

class TestClock : public QObject
{
    Q_OBJECT

    // Through Qt's environment functions, not setenv: they hold the lock that QtTest's watchdog
    // thread takes when it reads QTEST_FUNCTION_TIMEOUT, and a bare setenv racing that getenv
    // crashed the test.
    static void setZone(const QByteArray &zone)
    {
        qputenv("TZ", zone);
        ::tzset();
    }

private Q_SLOTS:
    void isoLocalTimeHasTheLocalOffset_data()
    {
        QTest::addColumn<QString>("zone");
        QTest::addColumn<QString>("expected");
        // 1796273557 is the raw number an export once printed as its date.
        QTest::newRow("UTC") << "UTC0"
                             << "2026-12-03T04:52:37+00:00";
        QTest::newRow("east, half hour") << "IST-5:30"
                                         << "2026-12-03T10:22:37+05:30";
        QTest::newRow("west") << "EST5"
                              << "2026-12-02T23:52:37-05:00";
    }
    void isoLocalTimeHasTheLocalOffset()
    {
        QFETCH(QString, zone);
        QFETCH(QString, expected);
        const QByteArray old = qgetenv("TZ");
        setZone(zone.toLatin1());
        const auto text = util::isoLocalTime(1796273557.75);
        if (old.isEmpty()) {
            qunsetenv("TZ");
            ::tzset();
        } else {
            setZone(old);
        }
        QCOMPARE(QString::fromStdString(text), expected);
    }

    void isoLocalTimeOfNowIsAroundNow()
    {
        const auto now = util::unixNow();
        const auto parsed
            = QDateTime::fromString(QString::fromStdString(util::isoLocalTime(now)), Qt::ISODate);
        QVERIFY(parsed.isValid());
        QVERIFY(std::abs(parsed.toSecsSinceEpoch() - qint64(now)) <= 1);
    }
};

LATHE_TEST_GUILESS_MAIN(TestClock)
#include "tst_clock.moc"
