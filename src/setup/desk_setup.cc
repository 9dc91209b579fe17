// desk_setup.cc: the desk as deskmail.yaml sets it up (desk_setup.h).
#include "setup/desk_setup.h"

namespace setup {

notify::Settings composer_settings(const config::Config& cfg) {
  return {cfg.base_local(), cfg.base_domain(), cfg.outbound.from_name};
}

DeskFromConfig::DeskFromConfig(store::Store& store, const config::Config& cfg)
    : composer_(composer_settings(cfg)), desk_(store, &composer_) {
  desk_.set_unsolicited_per_hour(cfg.limits.confirmations_per_hour);
  desk_.set_own_domain(cfg.base_domain());
  desk_.set_file_limits(
      {cfg.limits.store_per_message, cfg.limits.message_size, cfg.limits.mime_parts});
}

}  // namespace setup
