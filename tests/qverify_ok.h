#pragma once

// QVERIFY for lathe::Result: fails the test with the Error's text when `expr` holds an error.

#include <QtTest>

#define QVERIFY_OK(expr)                                                                           \
    do {                                                                                           \
        const auto &result_ = (expr);                                                              \
        QVERIFY2(result_.has_value(), result_ ? "" : result_.error().toString().c_str());          \
    } while (false)
