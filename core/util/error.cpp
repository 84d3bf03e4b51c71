#include "core/util/error.h"

namespace lathe {

const char *errorCodeName(ErrorCode code)
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

std::string Error::toString() const
{
    return context.empty() ? message : context + ": " + message;
}

} // namespace lathe
