// The test registry. A test executable holds the QtTest classes of one test folder, or of all of
// tests/core (one class per tst_*.cpp, compiled in unity batches: see tests/CMakeLists.txt); each
// file registers its class with LATHE_TEST_MAIN, LATHE_TEST_GUILESS_MAIN or
// LATHE_TEST_APPLESS_MAIN (the QTEST_* macros' counterparts), and the executable's main
// (tests/test_main.cpp) runs the class its first argument names: `tests_core tst_trainer
// [QtTest options]`, as CTest runs it.
#pragma once

#include <QObject>
#include <QStringList>

#include <memory>

namespace lathe::test {

/// The application object a test class runs under, as the QTEST_* macro it replaces made it.
enum class App {
    None,    ///< QTEST_APPLESS_MAIN: no application object
    Core,    ///< QTEST_GUILESS_MAIN: QCoreApplication
    Widgets, ///< QTEST_MAIN: QApplication where the executable links Qt Widgets
};

using MakeTest = std::unique_ptr<QObject> (*)();

/// Registers the test class that `make` constructs under the base name of `file` (tst_trainer
/// for .../tst_trainer.cpp). Called from static initialisers, before main; returns 0.
int registerTest(const char *file, App app, MakeTest make);

/// The arguments that start this executable again on the running test class with `args`
/// (`QCoreApplication::applicationFilePath()` with these runs a child of the current test).
QStringList selfArguments(const QStringList &args);

/// A worker process's entry point: what the process runs instead of its test class when started
/// again with LATHE_TEST_WORKER=`mode` in its environment; returns the exit code.
using Worker = int (*)(const char *mode);

/// Registers `worker` for the test class of `file` (before or after the class); returns 0.
int registerWorker(const char *file, Worker worker);

} // namespace lathe::test

#define LATHE_TEST_REGISTER(TestClass, app)                                                        \
    namespace {                                                                                    \
    [[maybe_unused]] const int lathe_test_registered_##TestClass                                   \
        = ::lathe::test::registerTest(__FILE__, app, []() -> std::unique_ptr<QObject> {            \
              return std::make_unique<TestClass>();                                                \
          });                                                                                      \
    }

#define LATHE_TEST_MAIN(TestClass) LATHE_TEST_REGISTER(TestClass, ::lathe::test::App::Widgets)
#define LATHE_TEST_GUILESS_MAIN(TestClass) LATHE_TEST_REGISTER(TestClass, ::lathe::test::App::Core)
#define LATHE_TEST_APPLESS_MAIN(TestClass) LATHE_TEST_REGISTER(TestClass, ::lathe::test::App::None)

/// The worker entry point of this file's test class (see lathe::test::Worker).
#define LATHE_TEST_WORKER(function)                                                                \
    namespace {                                                                                    \
    [[maybe_unused]] const int lathe_test_worker_##function                                        \
        = ::lathe::test::registerWorker(__FILE__, function);                                       \
    }
