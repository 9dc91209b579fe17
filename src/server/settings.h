// settings.h: what each part of deskmaild takes from deskmail.yaml. Pure
// functions of the configuration, used at start and on SIGHUP.
#pragma once

#include <string>

#include "config/config.h"
#include "delivery/deliverer.h"
#include "lmtp/server.h"
#include "outbox/dispatcher.h"
#include "route/route.h"

namespace server {

/// Where large messages are spooled: spool_directory, else $TMPDIR, else /tmp.
std::string spool_dir(const config::Config& c);

lmtp::ServerOptions server_options(const config::Config& c);
route::Base route_base(const config::Config& c);
delivery::Policy delivery_policy(const config::Config& c);
outbox::Options outbox_options(const config::Config& c);

/// This daemon among those sharing a database: "HOSTNAME LISTENER", stable
/// across restarts (the outbox claims' owner, the metrics rows' instance).
std::string instance_name(const config::Config& c);

}  // namespace server
