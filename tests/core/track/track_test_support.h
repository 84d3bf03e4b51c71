#pragma once

// Helpers shared by the core/track tests.

#include "core/track/sqlite.h"
#include "core/track/store_types.h"
#include "tests/qverify_ok.h"

#include <QtTest>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace lathe::track::testing {

/// A status as QString for QCOMPARE: QTest's unqualified toString() call finds
/// lathe::track::toString(RunStatus) by ADL, which returns a string_view, so statuses cannot
/// be QCOMPAREd directly.
inline QString str(RunStatus status)
{
    const auto name = toString(status);
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

/// A path inside a QTemporaryDir, as std::filesystem::path.
inline std::filesystem::path pathIn(const QTemporaryDir &dir, const char *name)
{
    return std::filesystem::path(dir.path().toStdString()) / name;
}

/// Runs raw SQL on its own connection (to tamper with rows the API would not let us touch).
inline bool rawExec(const std::filesystem::path &db, const std::string &sql)
{
    auto conn = sql::Database::open(db, 5000);
    return conn && conn->exec(sql).has_value();
}

/// First column of the first row of `sql` on its own connection, or -1 on error.
inline std::int64_t rawInt(const std::filesystem::path &db, const std::string &sql)
{
    auto conn = sql::Database::open(db, 5000);
    if (!conn)
        return -1;
    auto value = conn->queryInt64(sql);
    return value ? *value : -1;
}

/// A pid that cannot exist: above the kernel's pid_max.
inline std::int64_t deadPid()
{
    std::int64_t pidMax = 4194304;
    std::ifstream("/proc/sys/kernel/pid_max") >> pidMax;
    return pidMax + 1;
}

} // namespace lathe::track::testing
