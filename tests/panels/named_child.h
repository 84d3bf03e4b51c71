// Tests find a panel's parts by object name, as any code outside the panel would: panels carry
// no getters for tests.
#pragma once

#include <QObject>
#include <QString>

#include <cstdio>
#include <cstdlib>

/// The descendant of `parent` of type T named `name`; aborts the test (naming it) when there is
/// none, so a renamed part fails loudly instead of crashing later.
template<typename T>
T *namedChild(const QObject *parent, const char *name)
{
    auto *child = parent->findChild<T *>(QString::fromLatin1(name));
    if (!child) {
        std::fprintf(stderr, "FAIL: no child \"%s\" of the requested type\n", name);
        std::abort();
    }
    return child;
}
