#include "core/track/downsample.h"
#include "tests/test_registry.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

using lathe::track::downsampleLttb;
using lathe::track::downsampleMinMax;
using lathe::track::SeriesPoint;

namespace {

std::vector<SeriesPoint> noisyCurve(std::size_t n, unsigned seed = 7)
{
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.05);
    std::vector<SeriesPoint> points(n);
    for (std::size_t i = 0; i < n; ++i)
        points[i] = {double(i), std::exp(-double(i) / double(n) * 4) + noise(rng)};
    return points;
}

bool contains(const std::vector<SeriesPoint> &points, SeriesPoint p)
{
    return std::any_of(points.begin(), points.end(),
                       [&](const SeriesPoint &q) { return q.x == p.x && q.y == p.y; });
}

bool increasingX(const std::vector<SeriesPoint> &points)
{
    for (std::size_t i = 1; i < points.size(); ++i) {
        if (!(points[i - 1].x < points[i].x))
            return false;
    }
    return true;
}

SeriesPoint extreme(const std::vector<SeriesPoint> &points, bool max)
{
    auto less = [](const SeriesPoint &a, const SeriesPoint &b) { return a.y < b.y; };
    return max ? *std::max_element(points.begin(), points.end(), less)
               : *std::min_element(points.begin(), points.end(), less);
}

} // namespace

class TestDownsample : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void lttbKeepsEndsAndExtremes_data()
    {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("target");
        QTest::newRow("1M to 2000") << 1000000 << 2000;
        QTest::newRow("10k to 100") << 10000 << 100;
        QTest::newRow("1001 to 1000") << 1001 << 1000;
        QTest::newRow("50 to 4") << 50 << 4;
        QTest::newRow("7 to 5") << 7 << 5;
    }
    void lttbKeepsEndsAndExtremes()
    {
        QFETCH(int, n);
        QFETCH(int, target);
        for (unsigned seed : {1u, 2u, 3u}) {
            const auto points = noisyCurve(std::size_t(n), seed);
            const auto out = downsampleLttb(points, std::size_t(target));
            QCOMPARE(out.size(), std::size_t(target));
            QCOMPARE(out.front().x, points.front().x);
            QCOMPARE(out.back().x, points.back().x);
            QVERIFY(contains(out, extreme(points, false)));
            QVERIFY(contains(out, extreme(points, true)));
            QVERIFY(increasingX(out));
        }
    }

    void minAndMaxInTheSameBucketBothSurvive()
    {
        // 4 points out: two middle buckets; min and max both sit in the first one.
        const std::vector<SeriesPoint> points{{0, 0}, {1, -10}, {2, 10}, {3, 0},
                                              {4, 0}, {5, 0},   {6, 0}};
        const auto out = downsampleLttb(points, 4);
        QCOMPARE(out.size(), std::size_t(4));
        QVERIFY(contains(out, {1, -10}));
        QVERIFY(contains(out, {2, 10}));
        QVERIFY(increasingX(out));
    }

    void spikeSurvives()
    {
        auto points = noisyCurve(100000);
        points[54321].y = 50.0;
        const auto out = downsampleLttb(points, 500);
        QVERIFY(contains(out, points[54321]));
        const auto minmax = downsampleMinMax(points, 250);
        QVERIFY(contains(minmax, points[54321]));
    }

    void smallInputIsUnchanged()
    {
        const auto points = noisyCurve(20);
        const auto out = downsampleLttb(points, 20);
        QCOMPARE(out.size(), points.size());
        for (std::size_t i = 0; i < points.size(); ++i)
            QVERIFY(out[i].x == points[i].x && out[i].y == points[i].y);
        QCOMPARE(downsampleLttb(points, 100).size(), points.size());
        QCOMPARE(downsampleMinMax(points, 10).size(), points.size());
        QVERIFY(downsampleLttb({}, 10).empty());
    }

    void tinyTargets()
    {
        const auto points = noisyCurve(100);
        QVERIFY(downsampleLttb(points, 0).empty());
        QCOMPARE(downsampleLttb(points, 1).size(), std::size_t(1));
        const auto two = downsampleLttb(points, 2);
        QCOMPARE(two.size(), std::size_t(2));
        QCOMPARE(two[1].x, 99.0);
        QCOMPARE(downsampleLttb(points, 3).size(), std::size_t(3));
    }

    void nanDoesNotCrash()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        auto points = noisyCurve(10000);
        for (std::size_t i = 0; i < points.size(); i += 3)
            points[i].y = nan;
        points[5000].y = -3.0;
        const auto out = downsampleLttb(points, 300);
        QCOMPARE(out.size(), std::size_t(300));
        QVERIFY(contains(out, {5000, -3.0}));
        QVERIFY(increasingX(out));

        std::vector<SeriesPoint> allNan(1000, SeriesPoint{0, nan});
        for (std::size_t i = 0; i < allNan.size(); ++i)
            allNan[i].x = double(i);
        QCOMPARE(downsampleLttb(allNan, 50).size(), std::size_t(50));
        QCOMPARE(downsampleMinMax(allNan, 50).size(), std::size_t(50));
        QVERIFY(downsampleMinMax(points, 100).size() <= 200);
    }

    void knownSmallCase()
    {
        // n = 7, target = 4: middle buckets are [1, 3) and [3, 6).
        // Bucket 1: a = (0,0), c = mean of points 3..5 = (4, 1). Triangle areas (doubled):
        //   p1 (1,2): |(0-4)(2-0) - (0-1)(1-0)| = |-8 + 1| = 7
        //   p2 (2,1): |(0-4)(1-0) - (0-2)(1-0)| = |-4 + 2| = 2   -> pick p1
        // Bucket 2: a = (1,2), c = last (6,0):
        //   p3 (3,0): |(1-6)(0-2) - (1-3)(0-2)| = |10 - 4| = 6
        //   p4 (4,3): |(1-6)(3-2) - (1-4)(0-2)| = |-5 - 6| = 11  -> pick p4
        //   p5 (5,0): |(1-6)(0-2) - (1-5)(0-2)| = |10 - 8| = 2
        // Min (0) is the first point and max (3) is p4: both already kept.
        const std::vector<SeriesPoint> points{{0, 0}, {1, 2}, {2, 1}, {3, 0},
                                              {4, 3}, {5, 0}, {6, 0}};
        const auto out = downsampleLttb(points, 4);
        const std::vector<double> xs{0, 1, 4, 6};
        QCOMPARE(out.size(), xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i)
            QCOMPARE(out[i].x, xs[i]);
    }

    void minMaxKnownCase()
    {
        // 3 buckets of 3 points: each gives its min and max in x order.
        const std::vector<SeriesPoint> points{{0, 5}, {1, 1}, {2, 3}, {3, 2}, {4, 2},
                                              {5, 2}, {6, 9}, {7, 0}, {8, 4}};
        const auto out = downsampleMinMax(points, 3);
        const std::vector<double> xs{0, 1, 3, 6, 7};
        QCOMPARE(out.size(), xs.size());
        for (std::size_t i = 0; i < xs.size(); ++i)
            QCOMPARE(out[i].x, xs[i]);
    }
};

LATHE_TEST_GUILESS_MAIN(TestDownsample)
#include "tst_downsample.moc"
