#include "core/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

namespace agentlearn {

Status fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open " + path + " to sync");
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::Internal("fsync failed for " + path);
}

Status rename_durably(const std::string& from, const std::string& to) {
  if (Status st = fsync_path(from); !st.ok()) return st;
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) return Status::Internal("cannot rename " + from + ": " + ec.message());
  std::filesystem::path dir = std::filesystem::path(to).parent_path();
  return fsync_path(dir.empty() ? std::string(".") : dir.string());
}

Status write_file_durably(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) return Status::Internal("cannot write " + tmp);
  }
  return rename_durably(tmp, path);
}

}  // namespace agentlearn
