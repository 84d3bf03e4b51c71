// main of every grouped test executable: runs the registered test class its first argument
// names, with the rest of the arguments given to QtTest (see tests/test_registry.h).
#include "tests/test_registry.h"

#include <QCoreApplication>
#include <QTest>
#ifdef QT_WIDGETS_LIB
#include <QApplication>
#endif

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace lathe::test {
namespace {

struct Entry
{
    App app;
    MakeTest make;
};

std::map<std::string, Entry> &registry()
{
    static std::map<std::string, Entry> entries;
    return entries;
}

std::map<std::string, Worker> &workers()
{
    static std::map<std::string, Worker> entries;
    return entries;
}

std::string &currentName()
{
    static std::string name;
    return name;
}

std::string baseName(const char *file)
{
    std::string name(file);
    if (const auto slash = name.find_last_of('/'); slash != std::string::npos)
        name.erase(0, slash + 1);
    if (const auto dot = name.find('.'); dot != std::string::npos)
        name.erase(dot);
    return name;
}

int run(const Entry &entry, int argc, char **argv)
{
    std::unique_ptr<QCoreApplication> app;
    if (entry.app == App::Widgets) {
#ifdef QT_WIDGETS_LIB
        auto widgets = std::make_unique<QApplication>(argc, argv);
        widgets->setAttribute(Qt::AA_Use96Dpi, true);
        app = std::move(widgets);
#else
        app = std::make_unique<QCoreApplication>(argc, argv);
#endif
    } else if (entry.app == App::Core) {
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    const auto test = entry.make();
    return QTest::qExec(test.get(), argc, argv);
}

} // namespace

int registerTest(const char *file, App app, MakeTest make)
{
    // Two classes under one name would leave one of them never run.
    if (!registry().emplace(baseName(file), Entry{app, make}).second) {
        std::fprintf(stderr, "two test files named %s in one executable\n", baseName(file).c_str());
        std::abort();
    }
    return 0;
}

int registerWorker(const char *file, Worker worker)
{
    workers().emplace(baseName(file), worker);
    return 0;
}

QStringList selfArguments(const QStringList &args)
{
    return QStringList{QString::fromStdString(currentName())} + args;
}

} // namespace lathe::test

int main(int argc, char **argv)
{
    using namespace lathe::test;
    const auto found = argc > 1 ? registry().find(argv[1]) : registry().end();
    if (found == registry().end()) {
        std::fprintf(stderr, "usage: %s TEST [QtTest options]; the tests here:\n", argv[0]);
        for (const auto &[name, entry] : registry())
            std::fprintf(stderr, "  %s\n", name.c_str());
        return 2;
    }
    currentName() = found->first;
    if (const char *mode = std::getenv("LATHE_TEST_WORKER")) {
        if (const auto worker = workers().find(found->first); worker != workers().end())
            return worker->second(mode);
    }
    // QtTest sees the executable's name and the options after the test's name.
    std::vector<char *> args{argv[0]};
    args.insert(args.end(), argv + 2, argv + argc);
    int count = int(args.size());
    args.push_back(nullptr);
    return run(found->second, count, args.data());
}
