// schema.h: the schema's version and its numbered migrations, per dialect
// (inside the store library only; the SQL in schema/<dialect>/).
#pragma once

#include "store/db.h"

namespace store {

/// The schema version in the database, 0 when there is none.
int schema_version(Db& db);

/// Applies the pending migrations in one transaction (a savepoint when
/// `nested`); returns the version reached. Throws Error when the database
/// is newer than this program.
/// Runs the migrations above the database's version, up to `up_to`.
int migrate_schema(Db& db, bool nested, int up_to = 1 << 30);

}  // namespace store
