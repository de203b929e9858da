// PostgreSQL: a backup is pg_dump's plain SQL (no owners or privileges), run as a child
// process; restoring is psql -f into an empty database (docs/operations.md).
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "store/postgres/postgres_store.hpp"

extern char** environ;

namespace agentlearn {

Status PostgresStore::dump(const std::string& url, const std::string& partial, const std::string& program) {
  std::vector<std::string> args = {program, "--format=plain", "--no-owner", "--no-privileges",
                                   "--file=" + partial, "--dbname=" + url};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    return Status::Unavailable("cannot run " + program + " (" + std::strerror(rc) +
                               "): install the PostgreSQL client (Debian: postgresql-client-15)");
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return Status::Unavailable(std::string("waiting for pg_dump: ") + std::strerror(errno));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::Unavailable(program + " failed (exit " +
                               std::to_string(WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus)) +
                               "; its message is above)");
  }
  return Status::Ok();
}

}  // namespace agentlearn
