// The local launcher behind genre train --nproc (genre/launch.h).
#include "genre/launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace genre {

int spawn_local_ranks(int n) {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(f, a, '\0');) args.push_back(a);
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") { ++i; continue; }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    kept.push_back(args[i]);
  }
  // A free port for the rendezvous: the kernel picks one, rank 0's store then listens on it.
  int port = 0;
  {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
    ::close(s);
  }
  if (port == 0) throw std::runtime_error("train --nproc: no free port on 127.0.0.1");
  std::vector<pid_t> pids;
  for (int r = 0; r < n; ++r) {
    std::vector<std::string> env_s;
    auto is_rank_variable = [](const std::string& v) {
      for (const char* k : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "MASTER_ADDR=", "MASTER_PORT=", "LOCAL_WORLD_SIZE="})
        if (v.rfind(k, 0) == 0) return true;
      return false;
    };
    for (char** e = environ; *e; ++e)
      if (!is_rank_variable(*e)) env_s.push_back(*e);
    for (auto kv : {std::make_pair("RANK", r), std::make_pair("LOCAL_RANK", r), std::make_pair("WORLD_SIZE", n),
                    std::make_pair("LOCAL_WORLD_SIZE", n), std::make_pair("MASTER_PORT", port)})
      env_s.push_back(std::string(kv.first) + "=" + std::to_string(kv.second));
    env_s.push_back("MASTER_ADDR=127.0.0.1");
    std::vector<char*> argv, envp;
    for (auto& a : kept) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()) != 0)
      throw std::runtime_error("train --nproc: cannot start rank " + std::to_string(r));
    pids.push_back(pid);
  }
  int status = 0;
  for (size_t left = pids.size(); left > 0; --left) {
    int st = 0;
    const pid_t done = ::wait(&st);
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (code != 0 && status == 0) {
      status = code;
      for (pid_t p : pids)
        if (p != done) ::kill(p, SIGTERM);  // the survivors would only wait for their timeout
      std::fprintf(stderr, "genre: train --nproc: rank %zu failed (status %d); stopping the others\n",
                   size_t(std::find(pids.begin(), pids.end(), done) - pids.begin()), code);
    }
  }
  return status;
}

}  // namespace genre
