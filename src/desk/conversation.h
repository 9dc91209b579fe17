// conversation.h: the conversation on an issue (DESIGN.md sections 4 and 6):
// a reply by mail, a responder's note, closing and reopening, quarantine and
// release, and who is mailed on each.
#pragma once

#include <string>

#include "desk/mailer.h"
#include "store/repository.h"

namespace desk {

/// A mail to an issue's reply address (or threaded onto it) becomes a note.
/// A proven member's reply may start with quick actions (quick_actions.h):
/// understood and possible, they run and leave the note without them;
/// else none runs, the whole reply is an internal note and the member is
/// told what was not understood.
/// A project member's mail is a responder's note, mailed to the customers
/// unless automated; a customer's reopens a closed issue (when the project
/// says so, and unless automated) and is mailed to the members when the
/// project notifies them. Quarantined mail is kept, reopens nothing and
/// reaches no one. `problems`: the parser's findings, one per line.
store::Outcome note_from_mail(store::Tx& tx, Mailer& mail, const store::Target& target,
                              const store::Inbound& in, std::int64_t raw_id,
                              const std::string& problems);

/// A responder's note on `ref`, with its files (stored like a mail's
/// attachments); a public one is mailed, with the files, to every
/// subscribed customer except its author. Returns mails queued. `note`'s
/// text is clean, its files described and within the limits (Desk::add_note).
int add_note(store::Tx& tx, Mailer& mail, const std::string& ref, const store::NoteIn& note);

/// Closes ("closed") or reopens ("opened") `ref`, records it as a system
/// note by `actor`, and mails the customers; mails queued, or -1 (and
/// nothing kept) when it already was in `state`.
int set_state(store::Tx& tx, Mailer& mail, const std::string& ref, const std::string& state,
              const std::string& actor);

/// Quarantines or releases `ref`: a released issue gets the confirmation it
/// was held back from, unless one went out. Mails queued, -1 unchanged.
int set_spam(store::Tx& tx, Mailer& mail, const std::string& ref, bool spam);

/// The row id of issue `ref` ("group/project#N"); throws store::Error for a
/// malformed reference or a missing issue.
std::int64_t issue_id_of(store::Tx& tx, const std::string& ref);

}  // namespace desk
