// desk_setup.h: the desk as deskmail.yaml sets it up, for the programs that
// work the queue (deskmail and deskmail-web). One place, so that both apply
// the same limits, names and composer settings; deskmaild applies the same
// settings to its delivery path through server/settings.h.
#pragma once

#include "config/config.h"
#include "desk/desk.h"
#include "notify/notify.h"
#include "store/store.h"

namespace setup {

/// The composer's names: the desk's address and the From: display name.
notify::Settings composer_settings(const config::Config& cfg);

/// A composer and the desk that mails through it, set up from cfg. Holds
/// the composer the desk points to: neither copied nor moved.
class DeskFromConfig {
 public:
  DeskFromConfig(store::Store& store, const config::Config& cfg);
  DeskFromConfig(const DeskFromConfig&) = delete;
  DeskFromConfig& operator=(const DeskFromConfig&) = delete;

  desk::Desk& desk() { return desk_; }
  notify::Composer& composer() { return composer_; }

 private:
  notify::Composer composer_;
  desk::Desk desk_;
};

}  // namespace setup
