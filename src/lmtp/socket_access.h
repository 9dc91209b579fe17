// socket_access.h: who may connect to a unix listening socket, like
// Dovecot's unix_listener { user group mode }.
//
// The socket's owner, group and permissions decide which local users can
// deliver (Postfix's lmtp client runs as postfix, Exim's transport as
// Debian-exim). deskmaild runs as its own user, not as root: giving the
// socket to another user needs CAP_CHOWN (the shipped unit grants it, and
// deskmaild gives it up once its sockets exist); a group the daemon's user
// is a member of needs nothing.
#pragma once

#include <optional>
#include <string>

namespace lmtp {

/// The owner, group and mode a unix listening socket gets once bound, before
/// it listens. Empty names keep the daemon's own; an unset mode takes
/// ServerOptions::socket_mode.
struct SocketAccess {
  std::string user;
  std::string group;
  std::optional<unsigned> mode;
};

/// Gives the socket file at `path` its mode (`access.mode`, else `mode`),
/// then the user and group named in `access` (if any). Throws std::runtime_error naming the path,
/// the owner asked for and the reason (no such user, no permission and what grants it).
void apply_socket_access(const std::string& path, const SocketAccess& access, unsigned mode);

/// Gives up CAP_CHOWN for good (effective, permitted, inheritable and
/// ambient sets): call once every socket has its owner. Other capabilities
/// stay as they were (a daemon run as root stays root). Throws
/// std::runtime_error if the kernel refuses.
void give_up_chown_capability();

}  // namespace lmtp
