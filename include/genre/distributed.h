// Data-parallel training on PyTorch's own distributed engine: c10d's TCPStore for the rendezvous
// and ProcessGroupGloo for the collectives, driven by the standard environment contract that
// torchrun (and Slurm, or a person) sets: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
// Without WORLD_SIZE (or with 1) training is exactly the single-process run.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "genre/train.h"

namespace genre {

struct DistributedEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // torchrun's static rendezvous hosts the store itself (TORCHELASTIC_USE_AGENT_STORE=True): the
  // ranks then join it as clients, under the prefix of the current restart attempt.
  bool agent_store = false;
  int restart_count = 0;
};

// Reads the environment; throws std::invalid_argument naming a variable that is malformed.
DistributedEnv distributed_env();

// Joins the process group. Every collective fails after `timeout` (a rank that died or hangs),
// with an error that says so, instead of waiting forever. nullptr when world_size is 1.
std::unique_ptr<GradientSync> join_process_group(const DistributedEnv& env, std::chrono::milliseconds timeout);

}  // namespace genre
