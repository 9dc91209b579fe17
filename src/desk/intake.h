// intake.h: what a message delivered to one recipient becomes (DESIGN.md
// sections 3, 4 and 7): a duplicate, a bounce, an unsubscription, a new
// issue, or a note on an issue; rate limits and threading included.
#pragma once

#include "desk/mailer.h"
#include "store/repository.h"

namespace desk {

/// Decides and stores `in` for `target` inside `tx` (one transaction per
/// recipient), queueing through `mail` the mails it causes. Calls
/// tx.discard() when nothing may be kept (a duplicate, a rate limit).
/// `in`'s text must be clean (store::repaired). Outcome::mails is left 0.
store::Outcome intake(store::Tx& tx, Mailer& mail, const store::Target& target,
                      const store::Inbound& in);

/// The issue of the project that a mail to a project address answers, by
/// its In-Reply-To/References (newest first): a reply on that issue as the
/// sender's participant (none: 0). Nullopt when it answers none of them.
std::optional<store::Target> thread_target(store::Tx& tx, std::int64_t project_id,
                                           const store::Inbound& in);

}  // namespace desk
