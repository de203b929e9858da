#pragma once
// Files the service writes itself (the similar-task index and its description), replaced so
// that a reader sees the old file or the new one, whole, and the new one is on disk once the
// call returns: written beside the target, fsynced, renamed over it, and the directory fsynced
// (the rename is a change of the directory, lost in a crash until it is synced).
#include <string>
#include <string_view>

#include "core/status.hpp"

namespace agentlearn {

// Writes `bytes` to `path` + ".tmp", then durably renames it to `path`.
Status write_file_durably(const std::string& path, std::string_view bytes);

// For a file written by someone else (a library that saves to a path): fsyncs `from`, renames
// it to `to` and fsyncs the directory of `to`.
Status rename_durably(const std::string& from, const std::string& to);

// fsync() of a file or directory by path.
Status fsync_path(const std::string& path);

}  // namespace agentlearn
