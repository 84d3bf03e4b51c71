#pragma once

#include <nlohmann/json.hpp>

#include <QString>
#include <QStringList>

namespace lathe::panels {

/// Reads an extension's options as typed in the form, "column=alcohol, threshold=13", into a
/// JSON object of string values ({"column": "alcohol", "threshold": "13"}). Entries are
/// separated by commas; a key or value with a comma, a quote or surrounding spaces is written in
/// double quotes (`columns="a,b"`, `\"` and `\\` inside). Empty entries are skipped.
/// A malformed entry (no '=', an empty key, an unclosed quote, a repeated key or one of
/// `reserved`) is not dropped: it becomes a key spelling the entry with the value null, so that
/// RunConfig's validation refuses it at "<options key>.<entry>" with its own message. Pure.
nlohmann::json parseOptionsText(const QString &text, const QStringList &reserved = {});

/// The text parseOptionsText() reads back as `options` (an object of scalar values; numbers and
/// booleans as JSON writes them), keys in the object's order, skipping `skipped` keys; "" for
/// anything that is not an object. Pure.
QString formatOptionsText(const nlohmann::json &options, const QStringList &skipped = {});

} // namespace lathe::panels
