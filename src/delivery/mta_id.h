// mta_id.h: the MTA's queue id, from the Received: field it added on top
// ("... by mx.example.com (Postfix) with ESMTP id 4QXzR81bQz; date" or
// Exim's "... id 1qXyZa-000AbC-2x for <...>; date"), for the log line that
// matches the MTA's own (RFC 5321 section 4.4: the "id" clause).
#pragma once

#include <string>
#include <string_view>

namespace delivery {

/// The word after " id " in `received` (an unfolded field value), at most
/// 64 characters of [A-Za-z0-9._-]; "" when there is none.
std::string mta_queue_id(std::string_view received);

}  // namespace delivery
