// Lathe's error and result types: the base layer, header-only, below kernels and core (both
// link the `lathe_base` target; core code includes it as core/util/error.h).
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace lathe {

/// What went wrong, coarse enough for an exit code or a dialog icon.
enum class ErrorCode {
    InvalidArgument, ///< a value or key the user gave is wrong (config, flag)
    BadInput,        ///< an input file is malformed, truncated or lies about its contents
    Io,              ///< a file could not be read or written
    NotFound,        ///< a run, file, checkpoint or name does not exist
    SchemaTooNew,    ///< the database was written by a newer Lathe
    Training,        ///< training failed (NaN/Inf loss, LibTorch error mid-run)
    Cancelled,       ///< the user stopped the operation
    Internal,        ///< a bug: an invariant did not hold
};

/// Short lowercase name of a code ("bad input"), for messages. Never throws.
inline const char *errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::BadInput: return "bad input";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::SchemaTooNew: return "schema too new";
    case ErrorCode::Training: return "training failed";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Internal: return "internal error";
    }
    return "error";
}

/// A failure a user can act on: a code, a message, and where (file, line, key).
struct Error
{
    ErrorCode code = ErrorCode::Internal;
    std::string message; ///< what is wrong and what was expected
    std::string context; ///< where: "file.json", "images.gz: byte 16", "key optimizer.lr"

    /// "context: message" (or just the message when there is no context).
    std::string toString() const { return context.empty() ? message : context + ": " + message; }
};

/// Recoverable results: a value or an Error (std::expected).
template<typename T>
using Result = std::expected<T, Error>;

/// Shorthand for returning a failure from a function that returns Result<T>.
inline std::unexpected<Error> fail(ErrorCode code, std::string message, std::string context = {})
{
    return std::unexpected(Error{code, std::move(message), std::move(context)});
}

} // namespace lathe
