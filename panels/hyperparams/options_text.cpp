#include "panels/hyperparams/options_text.h"

#include <optional>

namespace lathe::panels {

namespace {

/// Reads one key or value from `text` at `pos` up to (not past) the next unquoted `stop` or
/// ',': a quoted token with its escapes undone, or the trimmed plain text. nullopt for an
/// unclosed quote or text after a closing quote.
std::optional<QString> readToken(const QString &text, qsizetype &pos, QChar stop)
{
    const auto skipSpaces = [&] {
        while (pos < text.size() && text[pos].isSpace())
            ++pos;
    };
    skipSpaces();
    if (pos < text.size() && text[pos] == '"') {
        QString token;
        for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
            if (text[pos] == '\\' && pos + 1 < text.size())
                ++pos;
            token += text[pos];
        }
        if (pos >= text.size())
            return std::nullopt;
        ++pos;
        skipSpaces();
        if (pos < text.size() && text[pos] != stop && text[pos] != ',')
            return std::nullopt;
        return token;
    }
    const qsizetype start = pos;
    while (pos < text.size() && text[pos] != stop && text[pos] != ',')
        ++pos;
    return text.mid(start, pos - start).trimmed();
}

/// The end of the entry starting at `pos`: the next comma outside quotes, or the end.
qsizetype entryEnd(const QString &text, qsizetype pos)
{
    bool quoted = false;
    for (; pos < text.size(); ++pos) {
        if (quoted && text[pos] == '\\')
            ++pos;
        else if (text[pos] == '"')
            quoted = !quoted;
        else if (!quoted && text[pos] == ',')
            return pos;
    }
    return text.size();
}

/// Whether `token` reads back as itself only in quotes ('=' ends a key, not a value).
bool needsQuotes(const QString &token, bool isKey)
{
    return token.isEmpty() || token.trimmed() != token || token.contains(',') || token.contains('"')
           || (isKey && token.contains('='));
}

QString quoted(const QString &token, bool isKey)
{
    if (!needsQuotes(token, isKey))
        return token;
    QString escaped = token;
    escaped.replace('\\', QStringLiteral("\\\\")).replace('"', QStringLiteral("\\\""));
    return '"' + escaped + '"';
}

} // namespace

nlohmann::json parseOptionsText(const QString &text, const QStringList &reserved)
{
    auto out = nlohmann::json::object();
    qsizetype pos = 0;
    while (pos < text.size()) {
        const qsizetype start = pos;
        const qsizetype end = entryEnd(text, pos);
        const QString entry = text.mid(start, end - start).trimmed();
        auto key = readToken(text, pos, '=');
        std::optional<QString> value;
        if (key && pos < text.size() && text[pos] == '=') {
            ++pos;
            value = readToken(text, pos, ',');
        }
        const bool wellFormed = key && value && !key->isEmpty() && pos == end
                                && !reserved.contains(*key) && !out.contains(key->toStdString());
        if (wellFormed)
            out[key->toStdString()] = value->toStdString();
        else if (!entry.isEmpty())
            // Refused by validation, which names it by its text; a bare reserved word is set
            // apart so it cannot stand for the reserved key itself.
            out[(reserved.contains(entry) ? entry + '=' : entry).toStdString()] = nullptr;
        pos = end + 1;
    }
    return out;
}

QString formatOptionsText(const nlohmann::json &options, const QStringList &skipped)
{
    if (!options.is_object())
        return {};
    QStringList entries;
    for (const auto &[key, value] : options.items()) {
        const QString name = QString::fromStdString(key);
        if (skipped.contains(name))
            continue;
        const QString text
            = QString::fromStdString(value.is_string() ? value.get<std::string>() : value.dump());
        entries << quoted(name, true) + '=' + quoted(text, false);
    }
    return entries.join(QStringLiteral(", "));
}

} // namespace lathe::panels
